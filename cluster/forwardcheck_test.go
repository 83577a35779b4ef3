package cluster

import (
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
