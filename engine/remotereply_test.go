package engine

import (
	"testing"

	"github.com/parlorhq/parlor/codec"
)

// A session's forwarded sends to one remote room awaiting their reply are
// bounded by maxRemoteAwaiting; another room's (a bystander's) are not
// affected, and a reply frees a place.
func TestRemoteRepliesBound(t *testing.T) {
	var full, bystander remoteReplies
	defer func() {
		for _, p := range []*remoteReplies{&full, &bystander} {
			if p.timer != nil {
				p.timer.Stop()
			}
		}
	}()
	for ref := range uint64(maxRemoteAwaiting) {
		if !full.await(nil, ref) {
			t.Fatalf("send %d refused below the bound", ref)
		}
	}
	if full.await(nil, maxRemoteAwaiting) {
		t.Fatalf("send %d awaited past the bound of %d", maxRemoteAwaiting, maxRemoteAwaiting)
	}
	if !bystander.await(nil, 1) {
		t.Fatal("another room's send refused")
	}
	full.answered(codec.AppendReply(nil, 7, "", "", nil))
	if !full.await(nil, maxRemoteAwaiting) {
		t.Fatal("a send refused after a reply freed a place")
	}
	if full.take(7) {
		t.Error("an answered send is still awaited")
	}
	if !full.take(maxRemoteAwaiting) || full.take(maxRemoteAwaiting) {
		t.Error("take reports an awaited send once")
	}
}
