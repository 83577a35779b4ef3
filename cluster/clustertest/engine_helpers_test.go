package clustertest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/cluster"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/parlortest"
	"github.com/parlorhq/parlor/room"
)

// stores are the durable logs the nodes of one test share, as they would
// share PostgreSQL.
type stores struct {
	chat  *chat.MemoryStore
	games *games.MemoryStore
}

func newStores() *stores {
	return &stores{chat: chat.NewMemoryStore(), games: games.NewMemoryStore()}
}

// node is one Parlor node of a test cluster: an engine behind a loopback
// WebSocket server, with its own NATS connection and cluster.Node.
type node struct {
	t       testing.TB
	name    string
	nc      *nats.Conn
	cluster *cluster.Node
	srv     *parlortest.Server
	stopped bool
}

// nodeOptions tune startNode.
type nodeOptions struct {
	replicas int
	modules  func(*stores) []room.Module
	// unlimited lifts the engine's and chat's rate limits, for benchmarks.
	unlimited bool
	// quiet logs warnings and errors only, for benchmarks.
	quiet bool
	// credential names each connection's credential by the "cred" query
	// parameter of its URL (engine.Config.Credential).
	credential bool
	// forwardTimeout is the node's NodeConfig.ForwardTimeout; zero means
	// its default.
	forwardTimeout time.Duration
	// leaseTTL is the node's NodeConfig.LeaseTTL; zero means its
	// default.
	leaseTTL time.Duration
	// wrap, if set, wraps the node as the engine sees it.
	wrap func(engine.Cluster) engine.Cluster
	// heartbeat and nodeTimeout are the node's NodeConfig
	// HeartbeatInterval and NodeTimeout; zero means their defaults.
	heartbeat, nodeTimeout time.Duration
	// joinTimeout is the engine's JoinTimeout; zero means its default.
	joinTimeout time.Duration
	// observer is the engine's Observer; nil for none.
	observer engine.Observer
}

// startNode starts node name on the NATS servers at urls, with the chat
// modules on st unless opts says otherwise. Everything stops when the test
// ends: the engine first, then the node, then the connection.
func startNode(t testing.TB, name string, urls []string, st *stores, opts nodeOptions) *node {
	t.Helper()
	nc := dial(t, name, urls...)
	log := zaptest.NewLogger(t).Named(name)
	if opts.quiet {
		log = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)).Named(name)
	}
	var cn *cluster.Node
	var err error
	for try := 0; ; try++ { // a fresh JetStream cluster may still elect its leader
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		cn, err = cluster.NewNode(ctx, nc, cluster.NodeConfig{
			Name: name, LeaseReplicas: opts.replicas, ForwardTimeout: opts.forwardTimeout, LeaseTTL: opts.leaseTTL,
			HeartbeatInterval: opts.heartbeat, NodeTimeout: opts.nodeTimeout, Logger: log,
		})
		cancel()
		if err == nil || try == 20 {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("node %s: %v", name, err)
	}
	t.Cleanup(func() { _ = cn.Close() })
	mods := chatModules(st)
	ecfg := engine.Config{Cluster: cn, Logger: log, JoinTimeout: opts.joinTimeout, Observer: opts.observer}
	if opts.wrap != nil {
		ecfg.Cluster = opts.wrap(cn)
	}
	if opts.unlimited {
		ecfg.RateLimit = -1
		mods = chat.New(chat.Config{Store: st.chat, MessageRate: 1e9, MessageBurst: 1e9}).Modules()
	}
	if opts.modules != nil {
		mods = opts.modules(st)
	}
	if opts.credential {
		ecfg.Credential = func(r *http.Request) string { return r.URL.Query().Get("cred") }
	}
	srv := parlortest.Start(t, parlortest.Config{Modules: mods, Engine: ecfg})
	return &node{t: t, name: name, nc: nc, cluster: cn, srv: srv}
}

func chatModules(st *stores) []room.Module {
	return chat.New(chat.Config{Store: st.chat}).Modules()
}

// addr is the node's host:port.
func (n *node) addr() string { return strings.TrimPrefix(n.srv.HTTP.URL, "http://") }

// dial connects a client as user to the node.
func (n *node) dial(user string) *client.Client {
	n.t.Helper()
	return n.srv.DialOptions(user, fastReconnect())
}

// fastReconnect is the client options of the tests: quick reconnects.
func fastReconnect() client.Options {
	return client.Options{Reconnect: client.ReconnectPolicy{MinDelay: 50 * time.Millisecond, MaxDelay: 250 * time.Millisecond}}
}

// dialVia connects a client as user through a proxy at addr.
func dialVia(t testing.TB, addr, user string) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), parlortest.Timeout)
	defer cancel()
	c, err := client.Dial(ctx, "ws://"+addr+"/?"+parlortest.UserParam+"="+user, fastReconnect())
	if err != nil {
		t.Fatalf("dial %s via %s: %v", user, addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// shutdown stops the node gracefully: Engine.Shutdown (which releases its
// leases as its rooms stop), then the cluster node.
func (n *node) shutdown() {
	n.t.Helper()
	n.stopped = true
	n.srv.Stop()
	_ = n.cluster.Close()
}

// kill stops the node abruptly as far as the others can tell: its NATS
// connection closes without releasing a lease or saying goodbye. Its
// listener stays, but no client can use it any more (tests route clients
// through a proxy and cut it).
func (n *node) kill() {
	n.stopped = true
	n.nc.Close()
}

// owns reports whether room id runs on the node.
func (n *node) owns(id string) bool {
	_, ok := n.srv.Engine.Room(id)
	return ok
}

// ctx is a context for one step of a test.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}
