package client_test

import (
	"context"
	"testing"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
)

// BenchmarkSendRoundTrip is one request answered by its reply, client
// and server in this process over loopback: the allocations it reports
// are both sides'. The request's wait has no deadline of its own, so
// Options.RequestTimeout bounds it.
func BenchmarkSendRoundTrip(b *testing.B) {
	s := newServer(b, engine.Config{RateLimit: -1})
	c := s.dialOpts(b, "alice", client.Options{})
	ctx := context.Background()
	j, err := c.Join(ctx, "block", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Send(ctx, j.Room, "ping", nil); err != nil {
			b.Fatal(err)
		}
	}
}
