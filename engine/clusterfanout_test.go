package engine

import (
	"sync"
	"testing"
	"time"

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

// A forwarded join of a session the owner still knows from before it
// dropped the session's node's link (the node thought gone, its sessions
// not yet disconnected) gets a session on the current link, the one the
// room's broadcasts move to: the known one would have kept queueing its
// envelopes on the dropped link, out of order with the broadcasts. A
// session known on the current link is reused.
func TestRemoteSessionTakesCurrentLink(t *testing.T) {
	var wg sync.WaitGroup
	defer wg.Wait()
	peers := newPeerLinks(&batchRecorder{}, zap.NewNop(), &wg)
	e := &Engine{fanout: newClusterFanout(peers, func(string, bool) {}), remoteSessions: newShardedMap[*remoteSession]()}
	j := &ClusterJoin{Room: "r", Session: "s", User: "u", Node: "n2"}
	known := e.remoteSessionFor(j)
	if again := e.remoteSessionFor(j); again != known {
		t.Fatal("a session known on the current link was not reused")
	}
	peers.drop("n2")
	rs := e.remoteSessionFor(j)
	if rs.link != peers.get("n2") {
		t.Fatal("the session kept the dropped link")
	}
	if got, _ := e.remoteSessions.load(remoteKey("r", "s")); got != rs {
		t.Fatal("the owner does not know the session on the current link")
	}
	e.forgetRemoteSession(known) // its disconnect, later: the new one stays
	if got, _ := e.remoteSessions.load(remoteKey("r", "s")); got != rs {
		t.Fatal("the old session's disconnect forgot the new one")
	}
}

// A remote session attached while its node's link is backed up waits for
// the link, as the room waited for NATS when it published itself; that
// wait must not hold the room map's shard, where other rooms' broadcasts
// look their room up. It did: the attach envelope was queued with the
// shard locked.
func TestFanoutAttachWaitsOutsideShard(t *testing.T) {
	var wg sync.WaitGroup
	defer wg.Wait()
	c := &batchRecorder{gate: make(chan struct{})}
	release := sync.OnceFunc(func() { close(c.gate) })
	defer release()
	peers := newPeerLinks(c, zap.NewNop(), &wg)
	f := newClusterFanout(peers, func(string, bool) {})
	link := peers.get("n2")
	queued := func() int {
		link.mu.Lock()
		defer link.mu.Unlock()
		return len(link.buf)
	}
	// The writer takes a first batch and waits on the gate with it; then
	// the backlog fills.
	link.push("other", []byte("first"))
	deadline := time.Now().Add(5 * time.Second)
	for queued() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	big := make([]byte, 1<<20)
	for queued() < peerBacklog {
		link.push("other", big)
	}
	other := "r2"
	for shardIndex(other, mapShards) != shardIndex("r", mapShards) {
		other += "x"
	}
	rs := &remoteSession{room: "r", id: "s", user: "u", node: "n2", key: remoteKey("r", "s"), link: link}
	attached := make(chan struct{})
	go func() {
		defer close(attached)
		f.Attach("r", rs)
	}()
	published := make(chan struct{})
	go func() {
		defer close(published)
		time.Sleep(50 * time.Millisecond) // Attach is waiting by then
		f.Publish(other, []byte("frame"))
	}()
	select {
	case <-published:
	case <-time.After(5 * time.Second):
		release()
		t.Fatal("a broadcast of another room of the shard waited for the backed-up link")
	}
	select {
	case <-attached:
		t.Fatal("Attach did not wait for the backed-up link")
	default:
	}
	release()
	<-attached
}
