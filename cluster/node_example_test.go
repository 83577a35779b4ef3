package cluster_test

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/parlorhq/parlor/cluster"
	"github.com/parlorhq/parlor/engine"
)

// A node of a cluster: one NATS connection, one cluster.Node on it, one
// engine on the node. Every node shares the secret, the lease settings and
// the stores of its modules. It needs a NATS server with JetStream, so it
// is not run as a test.
func ExampleNewNode() {
	nc, err := cluster.Dial(cluster.DialConfig{URL: "nats://127.0.0.1:4222", Node: "node-1"})
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	node, err := cluster.NewNode(ctx, nc, cluster.NodeConfig{Name: "node-1", LeaseReplicas: 3})
	if err != nil {
		log.Fatal(err)
	}
	defer node.Close() // after the engine's Shutdown
	e, err := engine.New(engine.Config{
		Authenticate: func(r *http.Request) (string, error) { return r.Header.Get("X-User"), nil },
		Secret:       []byte("the same secret on every node"),
		Cluster:      node,
	})
	if err != nil {
		log.Fatal(err)
	}
	// Register the modules (with stores every node shares), then serve.
	srv := &http.Server{Addr: "127.0.0.1:8081", Handler: e}
	go func() { _ = srv.ListenAndServe() }()
	// On SIGTERM: the rooms stop and release their leases, then sessions
	// close with 1001.
	_ = e.Shutdown(context.Background())
	_ = srv.Shutdown(context.Background())
}
