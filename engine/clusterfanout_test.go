package engine

import (
	"sync"
	"testing"

	"go.uber.org/zap"
)

// After the owner dropped its link to a node (thought gone), a session of
// that node that joins while the room still counts the node's old
// sessions comes with a new link: the room's broadcasts move to it, so
// that they and the new session's envelopes keep one order.
func TestFanoutRelinksAfterDrop(t *testing.T) {
	var wg sync.WaitGroup
	defer wg.Wait()
	peers := newPeerLinks(&batchRecorder{}, zap.NewNop(), &wg)
	f := newClusterFanout(peers, func(string, bool) {})
	old := &remoteSession{room: "r", id: "old", user: "u", node: "n2", key: remoteKey("r", "old"), link: peers.get("n2")}
	f.Attach("r", old)
	peers.drop("n2")
	fresh := &remoteSession{room: "r", id: "new", user: "u", node: "n2", key: remoteKey("r", "new"), link: peers.get("n2")}
	if fresh.link == old.link {
		t.Fatal("the dropped link was kept")
	}
	f.Attach("r", fresh)
	or, _ := f.rooms.load("r")
	if links := *or.links.Load(); len(links) != 1 || links[0] != fresh.link {
		t.Fatalf("broadcasts go on %v, the new session's envelopes on %p", links, fresh.link)
	}
	f.Detach("r", old) // the old session's disconnect keeps the new link
	if links := *or.links.Load(); len(links) != 1 || links[0] != fresh.link {
		t.Fatalf("after the old session left, broadcasts go on %v, want %p", links, fresh.link)
	}
}
