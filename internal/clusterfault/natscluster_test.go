package clusterfault

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// natsCluster is three nats-server processes with JetStream that form one
// cluster over routes on loopback, each with its store in t.TempDir().
type natsCluster struct {
	t       testing.TB
	servers []*natsServer
}

// natsServer is one server of the cluster; its ports and store stay the
// same across restarts.
type natsServer struct {
	name    string
	conf    string
	client  int
	monitor int
	p       *proc
}

// startNATS starts an n-server cluster and waits until every server
// reports JetStream healthy (its meta leader elected).
func startNATS(t testing.TB, n int) *natsCluster {
	t.Helper()
	ports := freePorts(t, 3*n)
	var routes []string
	for i := range n {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", ports[3*i+1]))
	}
	c := &natsCluster{t: t}
	dir := t.TempDir()
	for i := range n {
		s := &natsServer{name: fmt.Sprint("nats", i+1), client: ports[3*i], monitor: ports[3*i+2]}
		store := filepath.Join(dir, s.name)
		conf := fmt.Sprintf(`server_name: %s
listen: 127.0.0.1:%d
http: 127.0.0.1:%d
jetstream { store_dir: %q }
cluster {
  name: parlor
  listen: 127.0.0.1:%d
  routes: [%s]
}
`, s.name, s.client, s.monitor, store, ports[3*i+1], strings.Join(routes, ", "))
		s.conf = filepath.Join(dir, s.name+".conf")
		if err := os.WriteFile(s.conf, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		c.servers = append(c.servers, s)
	}
	for i := range c.servers {
		c.start(i)
	}
	for i := range c.servers {
		c.waitHealthy(i)
	}
	return c
}

// URLs is the client URL of every server, comma separated, as a node's
// -nats flag takes them.
func (c *natsCluster) URLs() string {
	var urls []string
	for _, s := range c.servers {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", s.client))
	}
	return strings.Join(urls, ",")
}

// start starts server i (again) on its ports and store.
func (c *natsCluster) start(i int) {
	c.t.Helper()
	s := c.servers[i]
	s.p, _ = startProc(c.t, s.name, "", bin.nats, "-c", s.conf)
}

// waitHealthy waits until server i answers its health check, which
// includes JetStream.
func (c *natsCluster) waitHealthy(i int) {
	c.t.Helper()
	s := c.servers[i]
	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", s.monitor)
	if !waitFor(startTimeout, func() bool { return httpOK(url) || s.p.exited() }) || s.p.exited() {
		c.t.Fatalf("%s not healthy after %v: %s", s.name, startTimeout, s.p.Stderr())
	}
}

// kill kills server i with SIGKILL.
func (c *natsCluster) kill(i int) { c.servers[i].p.kill() }

// stopAll stops every server with SIGTERM.
func (c *natsCluster) stopAll() {
	for _, s := range c.servers {
		s.p.terminate(30*time.Second, "")
	}
}
