package clustertest

import (
	"context"
	"testing"

	"github.com/parlorhq/parlor/cluster/forward"
	"github.com/parlorhq/parlor/cluster/lease"
	"github.com/parlorhq/parlor/cluster/natsbroker"
)

// BenchmarkPublishDeliver measures the latency from Publish on one node to
// the subscriber's call on another, one payload in flight, through one
// local nats-server: ns/op is the latency.
func BenchmarkPublishDeliver(b *testing.B) {
	s := StartServer(b)
	pub := natsbroker.New(dial(b, "a", s.URL()), natsbroker.Config{})
	sub := natsbroker.New(dial(b, "b", s.URL()), natsbroker.Config{})
	got := make(chan struct{}, 1)
	unsub, err := sub.Subscribe("room", func([]byte) { got <- struct{}{} })
	if err != nil {
		b.Fatal(err)
	}
	defer unsub()
	s.WaitInterest(b, pub.Subject("room"))
	payload := make([]byte, 100)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := pub.Publish("room", payload); err != nil {
			b.Fatal(err)
		}
		<-got
	}
}

// BenchmarkPublishDeliverStream measures throughput: payloads published
// back to back on one node and delivered on another; ns/op is the cost
// per payload.
func BenchmarkPublishDeliverStream(b *testing.B) {
	s := StartServer(b)
	pub := natsbroker.New(dial(b, "a", s.URL()), natsbroker.Config{})
	sub := natsbroker.New(dial(b, "b", s.URL()), natsbroker.Config{})
	var n int64
	done := make(chan struct{})
	target := int64(b.N)
	unsub, err := sub.Subscribe("room", func([]byte) {
		// Only the topic's delivery goroutine touches n.
		n++
		if n == target {
			close(done)
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	defer unsub()
	s.WaitInterest(b, pub.Subject("room"))
	payload := make([]byte, 100)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := pub.Publish("room", payload); err != nil {
			b.Fatal(err)
		}
	}
	<-done
}

// BenchmarkForwardSend measures a forwarded send's round trip from a
// member node to the owner and back; ns/op is the latency.
func BenchmarkForwardSend(b *testing.B) {
	s := StartServer(b)
	srv, err := forward.Serve(dial(b, "owner", s.URL()), forward.ServerConfig{Node: "owner", Handler: ackHandler{}})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	c := forward.NewClient(dial(b, "member", s.URL()), forward.ClientConfig{})
	req := &forward.Send{Room: "r", User: "u", Session: "s", Node: "member", Event: "msg", Data: make([]byte, 100), ClientMsgID: "m"}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Send(ctx, "owner", req); err != nil {
			b.Fatal(err)
		}
	}
}

type ackHandler struct{}

func (ackHandler) Join(_ *forward.Join, respond func(*forward.Reply)) { respond(&forward.Reply{}) }
func (ackHandler) Send(_ *forward.Send, respond func(*forward.Reply)) {
	respond(&forward.Reply{Seq: 1})
}
func (ackHandler) Leave(_ *forward.Leave, respond func(*forward.Reply)) { respond(&forward.Reply{}) }

// BenchmarkLeaseRenew measures one lease renewal (a KV update with the
// expected revision) on a single file-backed JetStream server.
func BenchmarkLeaseRenew(b *testing.B) {
	s := StartServer(b)
	m, err := lease.NewManager(context.Background(), dial(b, "a", s.URL()), lease.Config{Node: "a", RenewInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	l, err := m.Acquire(context.Background(), "room")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := l.Renew(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublish measures the publishing node's own cost of one Publish
// with nobody subscribed.
func BenchmarkPublish(b *testing.B) {
	s := StartServer(b)
	pub := natsbroker.New(dial(b, "a", s.URL()), natsbroker.Config{})
	payload := make([]byte, 100)
	b.ReportAllocs()
	for b.Loop() {
		if err := pub.Publish("4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce", payload); err != nil {
			b.Fatal(err)
		}
	}
}
