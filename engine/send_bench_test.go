package engine

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
)

// rawEchoHandler broadcasts every message's data as it came, so that a
// benchmark through it measures the engine and the room, not a module's
// decoding.
type rawEchoHandler struct{ room.BaseHandler }

func (rawEchoHandler) OnJoin(*room.Room, *room.Join) (any, error) { return nil, nil }

func (rawEchoHandler) OnMessage(r *room.Room, m *room.Message) (any, error) {
	r.BroadcastRaw("said", m.Data)
	return nil, nil
}

// framesQueued counts the frames waiting in s's outbox.
func framesQueued(s *session) int {
	s.out.mu.Lock()
	defer s.out.mu.Unlock()
	return len(s.out.queue) - s.out.head
}

// drainOutbox empties s's outbox the way the writer does, minus the socket
// write, and leaves it marked as having a writer so no push starts one.
func drainOutbox(s *session, batch [][]byte) [][]byte {
	for {
		var size int
		batch, size, _, _ = s.out.next(batch[:0], maxBatchFrames, maxBatchBytes)
		if len(batch) == 0 {
			s.out.mu.Lock()
			s.out.writing = true
			s.out.mu.Unlock()
			return batch
		}
		clear(batch)
		s.out.written(size)
	}
}

// BenchmarkInboundSend1000 measures one inbound send end to end inside the
// server, without sockets: the sender's read goroutine decodes a send
// message (session.handleMessage), the room goroutine runs a handler that
// broadcasts the data as it came, the hub fans the frame out through the
// MemoryBroker into 1,000 real sessions' outboxes, and the sender gets its
// reply. One op is one send; allocs/op is the budget per inbound send
// (the fan-out itself allocates nothing).
func BenchmarkInboundSend1000(b *testing.B) {
	const sessions = 1000
	e := &Engine{cfg: Config{Logger: zap.NewNop(), RateLimit: -1}.withDefaults()}
	broker := NewMemoryBroker()
	defer broker.Close()
	roomID := strings.Repeat("ab", 32)
	r := room.New(roomID, "bench", rawEchoHandler{}, room.Config{Fanout: newHub(broker, zap.NewNop())})
	r.Start()
	defer func() { r.Shutdown(); <-r.Done() }()

	ss := make([]*session, sessions)
	for i := range ss {
		s := &session{e: e, id: fmt.Sprintf("s%d", i), user: fmt.Sprintf("u%d", i), connected: true}
		// No socket: the read deadline is set far ahead, so it is never moved.
		s.deadlineSet.Store(math.MaxInt64 / 2)
		s.out.limit = 1 << 30
		s.out.writing = true // a writer is "running": push never starts one
		if err := r.Join(context.Background(), s, uint64(i+1), nil); err != nil {
			b.Fatal(err)
		}
		ss[i] = s
	}
	sender := ss[0]
	payload := codec.AppendString(nil, strings.Repeat("x", 98))
	msg := codec.AppendSend(nil, 1, roomID, "say", payload, "")
	var batch [][]byte
	for _, s := range ss {
		batch = drainOutbox(s, batch)
	}

	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		sender.handleMessage(msg)
		// The sender gets the event, then the reply.
		for framesQueued(sender) < 2 {
			runtime.Gosched()
		}
		batch = drainOutbox(sender, batch)
		if i%64 == 63 {
			for _, s := range ss[1:] {
				batch = drainOutbox(s, batch)
			}
		}
	}
	b.StopTimer()
	for _, s := range ss[1:] {
		if n := framesQueued(s); n > 64 {
			b.Fatalf("session %s holds %d frames, want at most 64", s.id, n)
		}
	}
	b.ReportMetric(float64(b.N)*sessions/b.Elapsed().Seconds(), "deliveries/s")
}
