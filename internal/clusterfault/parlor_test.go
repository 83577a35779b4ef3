package clusterfault

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/parlorhq/parlor/cluster/lease"
)

// parlor is one cluster under test: NATS, PostgreSQL schemas of its own,
// three nodes and the proxy in front of them.
type parlor struct {
	t      testing.TB
	nats   *natsCluster
	dsn    string
	schema string // prefix of the stores' schemas
	secret string
	nodes  []*node
	proxy  string // host:port
	flags  []string
	pin    natsPin
}

// natsPin says which NATS server each node connects to.
type natsPin int

const (
	// pinNone lists every server to every node, which nats.go tries in
	// random order.
	pinNone natsPin = iota
	// pinOwn connects node i to server i first (-nats-in-order), as
	// nodes each beside a NATS server of their own would be: a message
	// between two nodes crosses one route.
	pinOwn
	// pinFirst connects every node to server 1 first: messages between
	// nodes cross no route.
	pinFirst
)

// node is one clusternode process; its address stays the same across
// restarts, and each run gets a name of its own.
type node struct {
	i    int
	runs int
	name string
	addr string
	p    *proc
}

// The stores a cluster's nodes use (clusternode's -store).
const (
	storePostgres = "postgres"
	storeMemory   = "memory"
)

// startParlor starts NATS, three nodes and the proxy, with flags for every
// node. It skips the test (fails it in CI) without PostgreSQL.
func startParlor(t testing.TB, flags ...string) *parlor {
	t.Helper()
	return startParlorOn(t, storePostgres, flags...)
}

// startParlorOn is startParlor with the stores named by store: with
// storeMemory each node keeps its chat and matches in its own memory, and
// PostgreSQL is not needed.
func startParlorOn(t testing.TB, store string, flags ...string) *parlor {
	t.Helper()
	return startParlorPinned(t, store, pinNone, flags...)
}

// startParlorPinned is startParlorOn with the nodes' NATS servers chosen
// by pin.
func startParlorPinned(t testing.TB, store string, pin natsPin, flags ...string) *parlor {
	t.Helper()
	c := &parlor{t: t, schema: "cf_" + randomHex(6) + "_", secret: randomHex(16), pin: pin}
	c.flags = append([]string{"-store", store}, flags...)
	if store == storePostgres {
		c.dsn = os.Getenv("PARLOR_TEST_POSTGRES")
		need(t, "PostgreSQL (PARLOR_TEST_POSTGRES; test.sh starts one)", c.dsn != "")
		t.Cleanup(c.dropSchemas)
	}
	c.nats = startNATS(t, 3)
	ports := freePorts(t, 3)
	for i := range 3 {
		c.nodes = append(c.nodes, &node{i: i, addr: fmt.Sprintf("127.0.0.1:%d", ports[i])})
	}
	// The first node creates the schemas; the others start after it.
	for i := range c.nodes {
		c.startNode(i)
	}
	var backends []string
	for _, n := range c.nodes {
		backends = append(backends, n.addr)
	}
	_, c.proxy = startProc(t, "proxy", proxyListenPrefix, bin.proxy,
		"-addr", "127.0.0.1:0", "-backend", strings.Join(backends, ","), "-down", "500ms", "-quiet")
	return c
}

// startSingle starts one node with no cluster and no NATS (clusternode
// -single): the reference of the benchmarks, as node 1 of c.
func startSingle(t testing.TB, store string) *parlor {
	t.Helper()
	if store != storeMemory {
		t.Fatalf("a single node runs with -store %s only", storeMemory)
	}
	c := &parlor{t: t, secret: randomHex(16)}
	ports := freePorts(t, 1)
	n := &node{addr: fmt.Sprintf("127.0.0.1:%d", ports[0]), name: "single", runs: 1}
	args := append([]string{"-addr", n.addr, "-node", n.name, "-single", "-store", store, "-secret", c.secret},
		strings.Fields(os.Getenv("PARLOR_CLUSTERNODE_FLAGS"))...)
	p, addr := startProc(t, n.name, nodeListenPrefix, bin.node, args...)
	if addr != n.addr {
		t.Fatalf("%s listens on %s, want %s", n.name, addr, n.addr)
	}
	n.p = p
	c.nodes = []*node{n}
	return c
}

// startNode starts node i (again) on its address, under a new name.
func (c *parlor) startNode(i int) {
	c.t.Helper()
	n := c.nodes[i]
	n.runs++
	n.name = fmt.Sprintf("node%d-run%d", i+1, n.runs)
	args := append([]string{
		"-addr", n.addr, "-nats", c.natsURLs(i), "-node", n.name,
		"-postgres", c.dsn, "-schema-prefix", c.schema, "-secret", c.secret,
	}, c.flags...)
	if c.pin != pinNone {
		args = append(args, "-nats-in-order")
	}
	// Extra flags for every node, such as -pprof or -log debug, to look
	// into a run.
	args = append(args, strings.Fields(os.Getenv("PARLOR_CLUSTERNODE_FLAGS"))...)
	// Go's listeners set SO_REUSEADDR, so a node restarted after a kill
	// gets its port back at once.
	p, addr := startProc(c.t, n.name, nodeListenPrefix, bin.node, args...)
	if addr != n.addr {
		c.t.Fatalf("%s listens on %s, want %s", n.name, addr, n.addr)
	}
	n.p = p
}

// natsURLs is the -nats list of node i: every server, the one c.pin
// gives node i first.
func (c *parlor) natsURLs(i int) string {
	urls := strings.Split(c.nats.URLs(), ",")
	first := 0
	switch c.pin {
	case pinNone:
		return c.nats.URLs()
	case pinOwn:
		first = i % len(urls)
	}
	return strings.Join(append(urls[first:], urls[:first]...), ",")
}

// nodeURL is the WebSocket URL of node i for user.
func (c *parlor) nodeURL(i int, user string) string {
	return "ws://" + c.nodes[i].addr + "/ws?user=" + user
}

// proxyURL is the WebSocket URL through the proxy for user.
func (c *parlor) proxyURL(user string) string {
	return "ws://" + c.proxy + "/ws?user=" + user
}

// dropSchemas removes the test's schemas.
func (c *parlor) dropSchemas() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.dsn)
	if err != nil {
		c.t.Logf("drop the test schemas: %v", err)
		return
	}
	defer conn.Close(ctx)
	for _, s := range []string{"chat", "games"} {
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{c.schema + s}.Sanitize()+" CASCADE"); err != nil {
			c.t.Logf("drop schema %s: %v", c.schema+s, err)
		}
	}
}

// randomHex returns 2n random hex digits.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// owner returns the index of the node that holds room's lease, waiting
// up to timeout for one to hold it, or -1.
func (c *parlor) owner(room string, timeout time.Duration) int {
	c.t.Helper()
	nc, err := nats.Connect(c.nats.URLs())
	if err != nil {
		c.t.Fatalf("nats: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		c.t.Fatal(err)
	}
	found := -1
	waitFor(timeout, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		kv, err := js.KeyValue(ctx, lease.DefaultBucket)
		if err != nil {
			return false
		}
		e, err := kv.Get(ctx, room)
		if err != nil {
			return false
		}
		for _, n := range c.nodes {
			if n.name == string(e.Value()) {
				found = n.i
				return true
			}
		}
		return false
	})
	return found
}

// logNodes logs the end of each node's stderr when t failed, to see why.
func logNodes(t *testing.T, c *parlor) {
	if !t.Failed() {
		return
	}
	for _, n := range c.nodes {
		out := n.p.Stderr()
		if len(out) > 6000 {
			out = out[len(out)-6000:]
		}
		t.Logf("%s stderr (end):\n%s", n.name, out)
	}
}
