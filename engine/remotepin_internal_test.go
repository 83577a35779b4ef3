package engine

import (
	"runtime"
	"testing"

	"github.com/parlorhq/parlor/codec"
)

// A member node hands the frames of an owner's batch to its sessions as
// slices of the NATS message that carried the batch. A session whose
// client reads slowly keeps its queued frames, and so keeps every batch
// one of them came in: up to Config.OutboxBytes of small frames pin as
// many whole batches (each up to 64 KiB), where a single node's broadcast
// costs one frame-sized allocation. The retained memory must stay in
// proportion to what the outbox counts.
func TestRemoteFramesDoNotPinBatches(t *testing.T) {
	env := newPingEnv(t, false)
	s := env.s
	env.e.remotes = newShardedMap[*remoteRoom]()
	rr := env.e.enterRemote("room", s)
	rr.attached.Store(&[]*session{s})
	rr.lastSeq, rr.seqKnown = 0, true
	// The client reads nothing: its frames stay queued (as behind a slow
	// socket), with the writer slot taken.
	if !s.out.claim() {
		t.Fatal("outbox busy")
	}
	filler := make([]byte, 60<<10) // other rooms' items in the same batch
	const batches = 200
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range batches {
		ev := codec.AppendEvent(nil, "room", uint64(i+1), "say", []byte{0xa5, 'h', 'e', 'l', 'l', 'o'})
		b := appendPeerItemHead(nil, "other", len(filler))
		b = append(b, filler...)
		b = appendPeerItemHead(b, "room", len(ev))
		b = append(b, ev...)
		// A fresh buffer per batch, as nats.go allocates per message.
		env.e.receiveBatch(append([]byte(nil), b...))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	queued := s.out.queued()
	retained := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("outbox counts %d bytes; heap retained %d bytes (%.0fx)", queued, retained, float64(retained)/float64(queued))
	if queued == 0 {
		t.Fatal("nothing queued")
	}
	if retained > int64(16*queued)+(1<<20) {
		t.Fatalf("%d queued frame bytes keep %d bytes of batches alive", queued, retained)
	}
	runtime.KeepAlive(rr)
}
