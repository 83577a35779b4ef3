// Package clustertest starts real NATS servers in-process for the tests of
// the cluster packages and for the cluster demo. It is a module of its own
// (its go.mod points back at Parlor with a replace) so that nats-server is
// never in the dependencies of a program that only imports Parlor.
package clustertest

import (
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ReadyTimeout bounds how long a server may take to accept clients.
const ReadyTimeout = 10 * time.Second

// Server is one in-process nats-server with JetStream.
type Server struct {
	*server.Server
	opts server.Options
}

// StartServer starts a single nats-server with JetStream on a random
// loopback port, its store in t.TempDir(), and shuts it down at the end of
// the test.
func StartServer(t testing.TB) *Server {
	t.Helper()
	opts := server.Options{
		ServerName: "n0",
		Host:       "127.0.0.1",
		Port:       -1,
		JetStream:  true,
		StoreDir:   t.TempDir(),
		NoLog:      true,
		NoSigs:     true,
	}
	s := start(t, opts)
	// The port is fixed from now on, so that Restart comes back on it.
	s.opts.Port = s.Addr().(*net.TCPAddr).Port
	return s
}

func start(t testing.TB, opts server.Options) *Server {
	t.Helper()
	// The server writes to the options it is given: keep a copy.
	saved := opts
	ns, err := server.NewServer(&opts)
	if err != nil {
		t.Fatalf("nats-server: %v", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(ReadyTimeout) {
		ns.Shutdown()
		t.Fatalf("nats-server %s not ready after %v", opts.ServerName, ReadyTimeout)
	}
	s := &Server{Server: ns, opts: saved}
	t.Cleanup(s.Stop)
	return s
}

// URL is the client URL of the server.
func (s *Server) URL() string { return s.ClientURL() }

// Stop shuts the server down and waits until it is gone.
func (s *Server) Stop() {
	s.Shutdown()
	s.WaitForShutdown()
}

// Restart stops the server if it runs and starts it again on the same
// port with the same store, as a restarted process would.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	s.Server = start(t, s.opts).Server
}

// StartCluster starts n nats-servers with JetStream that form one cluster
// over routes on loopback, each with its own store in t.TempDir(), and
// returns once each accepts clients. JetStream may need a moment more to
// elect its meta leader: callers retry their first JetStream request.
func StartCluster(t testing.TB, n int) []*Server {
	t.Helper()
	ports := freePorts(t, n)
	routes := make([]*url.URL, n)
	for i, p := range ports {
		routes[i] = &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", p)}
	}
	servers := make([]*Server, n)
	errs := make(chan error, n)
	for i := range n {
		opts := server.Options{
			ServerName: fmt.Sprint("n", i),
			Host:       "127.0.0.1",
			Port:       -1,
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoLog:      true,
			NoSigs:     true,
			Cluster: server.ClusterOpts{
				Name: "parlor",
				Host: "127.0.0.1",
				Port: ports[i],
			},
			Routes: routes,
		}
		saved := opts
		ns, err := server.NewServer(&opts)
		if err != nil {
			t.Fatalf("nats-server n%d: %v", i, err)
		}
		go ns.Start()
		s := &Server{Server: ns, opts: saved}
		t.Cleanup(s.Stop)
		servers[i] = s
	}
	for _, s := range servers {
		go func() {
			if !s.ReadyForConnections(ReadyTimeout) {
				errs <- fmt.Errorf("nats-server %s not ready", s.opts.ServerName)
				return
			}
			errs <- nil
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	return servers
}

// freePorts finds n free loopback ports for cluster routes, which every
// server must know before any starts.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, n)
	ls := make([]net.Listener, n)
	for i := range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls[i] = l
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// WaitInterest waits until the server knows of a subscriber, local or on
// another server of its cluster, for subject.
func (s *Server) WaitInterest(t testing.TB, subject string) {
	t.Helper()
	deadline := time.Now().Add(ReadyTimeout)
	for !s.GlobalAccount().SubscriptionInterest(subject) {
		if time.Now().After(deadline) {
			t.Fatalf("nats-server %s: no interest in %s after %v", s.opts.ServerName, subject, ReadyTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
