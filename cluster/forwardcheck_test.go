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

// TestNoteAnswer: only a request that got no answer counts as unanswered;
// an owner's refusal is an answer.
func TestNoteAnswer(t *testing.T) {
	n := &Node{}
	for _, err := range []error{forward.ErrTimeout, forward.ErrNoResponder, forward.ErrUnavailable, fmt.Errorf("join: %w", forward.ErrTimeout)} {
		n.noteAnswer(err)
	}
	for _, err := range []error{nil, forward.ErrBadReply, engine.ErrNotJoined, errors.New("refused")} {
		n.noteAnswer(err)
	}
	if got := n.unanswered.Load(); got != 4 {
		t.Fatalf("%d unanswered, want 4", got)
	}
}
