package clustertest

import (
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/parlorhq/parlor/cluster"
)

// dial connects a node to the servers at urls, closing it at the end.
func dial(t testing.TB, node string, urls ...string) *nats.Conn {
	t.Helper()
	nc, err := cluster.Dial(cluster.DialConfig{
		URL:           strings.Join(urls, ","),
		Node:          node,
		ReconnectWait: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("dial %s: %v", node, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// eventually polls cond every 10ms until it holds or 15s pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
