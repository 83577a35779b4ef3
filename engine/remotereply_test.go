package engine

import (
	"testing"

	"github.com/parlorhq/parlor/codec"
)

// A session's forwarded sends to one remote room awaiting their reply are
// bounded by Config.MaxForwardedSends; another room's (a bystander's) are not
// affected, and a reply frees a place.
func TestRemoteRepliesBound(t *testing.T) {
	maxRemoteAwaiting := Config{}.withDefaults().MaxForwardedSends
	if maxRemoteAwaiting != DefaultMaxForwardedSends {
		t.Fatalf("MaxForwardedSends defaults to %d, want %d", maxRemoteAwaiting, DefaultMaxForwardedSends)
	}
	var full, bystander remoteReplies
	defer func() {
		for _, p := range []*remoteReplies{&full, &bystander} {
			if p.timer != nil {
				p.timer.Stop()
			}
		}
	}()
	for ref := range uint64(maxRemoteAwaiting) {
		if !full.await(nil, ref, maxRemoteAwaiting) {
			t.Fatalf("send %d refused below the bound", ref)
		}
	}
	if full.await(nil, uint64(maxRemoteAwaiting), maxRemoteAwaiting) {
		t.Fatalf("send %d awaited past the bound of %d", maxRemoteAwaiting, maxRemoteAwaiting)
	}
	if !bystander.await(nil, 1, maxRemoteAwaiting) {
		t.Fatal("another room's send refused")
	}
	full.answered(codec.AppendReply(nil, 7, "", "", nil))
	if !full.await(nil, uint64(maxRemoteAwaiting), maxRemoteAwaiting) {
		t.Fatal("a send refused after a reply freed a place")
	}
	if full.take(7) {
		t.Error("an answered send is still awaited")
	}
	if !full.take(uint64(maxRemoteAwaiting)) || full.take(uint64(maxRemoteAwaiting)) {
		t.Error("take reports an awaited send once")
	}
}
