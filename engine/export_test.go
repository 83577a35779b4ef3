package engine

import (
	"fmt"

	"go.uber.org/zap"
)

// OutboxFanout is the world of BenchmarkHubPublish1000Outbox, exported to
// the external benchmarks that compare it with and without an Observer
// (package metrics imports engine, so only those can use it).
type OutboxFanout struct {
	broker    *MemoryBroker
	h         *hub
	ss        []*session
	obs       Observer
	roomID    string
	frame     []byte
	batch     [][]byte
	Delivered int
}

// NewOutboxFanout attaches n real sessions, of an engine with obs (nil for
// none), to one room of a hub on a MemoryBroker.
func NewOutboxFanout(n int, obs Observer) *OutboxFanout {
	f := &OutboxFanout{broker: NewMemoryBroker(), obs: obs}
	f.h = newHub(f.broker, zap.NewNop())
	f.roomID, f.frame = benchHubFrame()
	e := &Engine{obs: obs}
	for i := range n {
		s := &session{e: e, id: fmt.Sprintf("s%d", i)}
		s.out.limit = 1 << 30
		s.out.writing = true // a writer is "running": push never starts one
		f.ss = append(f.ss, s)
		f.h.Attach(f.roomID, s)
	}
	return f
}

// Publish publishes one event frame to the room.
func (f *OutboxFanout) Publish() { f.h.Publish(f.roomID, f.frame) }

// Drain empties every outbox the way the writer does (next, the
// Observer's calls, written), minus the socket write.
func (f *OutboxFanout) Drain() {
	for _, s := range f.ss {
		for {
			batch, size, _, _ := s.out.next(f.batch[:0], maxBatchFrames, maxBatchBytes)
			f.batch = batch
			if len(batch) == 0 {
				s.out.writing = true // next marked the writer stopped
				break
			}
			if f.obs != nil {
				s.observeWritten(f.obs, batch, size, s.out.queuedAtTake)
			}
			f.Delivered += len(batch)
			clear(batch)
			s.out.written(size)
		}
	}
}

// Close detaches the sessions and closes the broker.
func (f *OutboxFanout) Close() {
	for _, s := range f.ss {
		f.h.Detach(f.roomID, s)
	}
	_ = f.broker.Close()
}

// DirectRoomMax is directRoomMax, for the tests of direct writes.
const DirectRoomMax = directRoomMax

// OutboxesIdle reports whether no connection of user has its outbox
// held by a writer or by its reader's hold, so that a send that follows
// may hold it.
func (e *Engine) OutboxesIdle(user string) bool {
	for _, s := range e.sessions.values() {
		if s.user == user && s.out.isWriting() {
			return false
		}
	}
	return true
}
