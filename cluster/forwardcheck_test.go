package cluster

import (
	"errors"
	"fmt"
	"testing"

	"github.com/parlorhq/parlor/cluster/forward"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
)

// A handler that does not answer membership checks (not an
// engine.ClusterCheckHandler, such as a wrapper) has them refused.
func TestForwardCheckWithoutCheckHandler(t *testing.T) {
	var got *forward.Reply
	f := forwardHandler{h: struct{ engine.ClusterHandler }{}, n: &Node{out: newLinksOut(), in: newLinksIn()}}
	f.Check(&forward.Check{Node: "member", Members: []forward.Member{{Room: "r", Session: "s"}}}, func(r *forward.Reply) { got = r })
	if got == nil || got.Code != codec.CodeBadRequest {
		t.Fatalf("reply %+v, want bad request", got)
	}
}

// TestNoteUnreached: only a request that reached no owner counts; a
// timeout (how a taken join, send or leave ends) and an owner's refusal
// do not.
func TestNoteUnreached(t *testing.T) {
	n := &Node{}
	for _, err := range []error{forward.ErrNoResponder, forward.ErrUnavailable, fmt.Errorf("join: %w", forward.ErrNoResponder)} {
		n.noteUnreached(err)
	}
	for _, err := range []error{nil, forward.ErrTimeout, forward.ErrBadReply, engine.ErrNotJoined, errors.New("refused")} {
		n.noteUnreached(err)
	}
	if got := n.unreached.Load(); got != 3 {
		t.Fatalf("%d unreached, want 3", got)
	}
}
