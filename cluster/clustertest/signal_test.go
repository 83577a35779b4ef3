package clustertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
)

// TestSignalTooLarge: a room signal over NATS's payload limit is refused
// too_large, posted or asked alike: it is not a passing outage, and a
// caller that tries "unavailable" again would try it forever.
func TestSignalTooLarge(t *testing.T) {
	ns := StartServer(t)
	a, _ := newNode(t, "a", ns.URL())
	big := make([]byte, 2<<20)
	if err := a.PostRoom("room1", big); codec.AsError(err).Code != codec.CodeTooLarge {
		t.Errorf("PostRoom of 2 MiB: %v, want too_large", err)
	}
	if err := a.AskRoom(context.Background(), "room1", big); codec.AsError(err).Code != codec.CodeTooLarge {
		t.Errorf("AskRoom of 2 MiB: %v, want too_large", err)
	}
}

// TestAskRoomCallerDeadline: an ask whose listener does not answer before
// the caller's own deadline returns that context's error, as on one node
// (Engine.Ask), not a timeout of the cluster's.
func TestAskRoomCallerDeadline(t *testing.T) {
	ns := StartServer(t)
	a, _ := newNode(t, "a", ns.URL())
	b, _ := newNode(t, "b", ns.URL())
	stop, err := b.ListenRoom("room1", func([]byte, func(error)) {}) // never answers
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := a.AskRoom(ctx, "room1", []byte("x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("AskRoom past the caller's deadline: %v, want its context's error", err)
	}
}
