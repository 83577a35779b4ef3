package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
)

// benchHubSession is a room.Session whose Deliver keeps the frame in a
// small ring and counts it. Publish on a MemoryBroker runs subscribers on
// the caller's goroutine, so no lock is needed.
type benchHubSession struct {
	id   string
	n    int
	ring [16][]byte
}

func (s *benchHubSession) ID() string     { return s.id }
func (s *benchHubSession) UserID() string { return s.id }
func (s *benchHubSession) Deliver(frames []byte) bool {
	s.ring[s.n&15] = frames
	s.n++
	return true
}
func (s *benchHubSession) RoomJoined(*room.Room)                 {}
func (s *benchHubSession) RoomLeft(*room.Room, room.LeaveReason) {}

// benchHubFrame is an event frame with a 100-byte payload in a room with a
// 64-char id, the size of a keyed id.
func benchHubFrame() (roomID string, frame []byte) {
	roomID = strings.Repeat("ab", 32)
	payload := codec.AppendString(nil, strings.Repeat("x", 98))
	return roomID, codec.AppendEvent(nil, roomID, 1, "said", payload)
}

// BenchmarkHubPublish1000 measures one hub.Publish through the real
// MemoryBroker to 1,000 attached sessions whose Deliver only counts. One
// op is one broadcast.
func BenchmarkHubPublish1000(b *testing.B) {
	const sessions = 1000
	broker := NewMemoryBroker()
	defer broker.Close()
	h := newHub(broker, zap.NewNop())
	roomID, frame := benchHubFrame()
	ss := make([]*benchHubSession, sessions)
	for i := range ss {
		ss[i] = &benchHubSession{id: fmt.Sprintf("s%d", i)}
		h.Attach(roomID, ss[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		h.Publish(roomID, frame)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)*sessions/b.Elapsed().Seconds(), "deliveries/s")
	for _, s := range ss {
		if s.n != b.N {
			b.Fatalf("session %s got %d frames, want %d", s.id, s.n, b.N)
		}
		h.Detach(roomID, s)
	}
}

// BenchmarkHubPublish1000Outbox is BenchmarkHubPublish1000 with real
// sessions: each delivery is a push into the session's byte-bounded
// outbox (lock, append, byte count). Every 64 broadcasts the outboxes are
// drained the way the writer does it (next and written), minus the
// socket write, so the cost of the writer's bookkeeping is included.
func BenchmarkHubPublish1000Outbox(b *testing.B) {
	const sessions = 1000
	broker := NewMemoryBroker()
	defer broker.Close()
	h := newHub(broker, zap.NewNop())
	roomID, frame := benchHubFrame()
	ss := make([]*session, sessions)
	for i := range ss {
		s := &session{id: fmt.Sprintf("s%d", i)}
		s.out.limit = 1 << 30
		s.out.writing = true // a writer is "running": push never starts one
		ss[i] = s
		h.Attach(roomID, s)
	}
	var batch [][]byte
	var delivered int
	drain := func() {
		for _, s := range ss {
			for {
				var size int
				batch, size, _, _ = s.out.next(batch[:0], maxBatchFrames, maxBatchBytes)
				if len(batch) == 0 {
					s.out.writing = true // next marked the writer stopped
					break
				}
				delivered += len(batch)
				clear(batch)
				s.out.written(size)
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		h.Publish(roomID, frame)
		if i%64 == 63 {
			drain()
		}
	}
	drain()
	b.StopTimer()
	if delivered != b.N*sessions {
		b.Fatalf("delivered %d frames, want %d", delivered, b.N*sessions)
	}
	b.ReportMetric(float64(delivered)/b.Elapsed().Seconds(), "deliveries/s")
	for _, s := range ss {
		h.Detach(roomID, s)
	}
}
