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

// sendBudget is the allocations allowed per inbound send, fan-out
// included: the copy of the data off the pooled read buffer, the one
// event frame every recipient shares, and the sender's reply frame. The
// room id and event name come from the session's codec.Interner.
const sendBudget = 3

// A broadcast's fan-out through the hub into real session outboxes, and
// the writer's draining of them, must not allocate once the queues have
// grown.
func TestFanoutAllocatesNothing(t *testing.T) {
	broker := NewMemoryBroker()
	defer broker.Close()
	h := newHub(broker, zap.NewNop())
	roomID, frame := benchHubFrame()
	ss := make([]*session, 100)
	for i := range ss {
		ss[i] = &session{id: fmt.Sprintf("s%d", i)}
		ss[i].out.limit = 1 << 20
		ss[i].out.writing = true // a writer is "running": push never starts one
		h.Attach(roomID, ss[i])
	}
	var batch [][]byte
	publish := func() {
		for range 4 {
			h.Publish(roomID, frame)
		}
		for _, s := range ss {
			if n := framesQueued(s); n != 4 {
				t.Fatalf("session %s holds %d frames, want 4", s.id, n)
			}
			batch = drainOutbox(s, batch)
		}
	}
	publish() // grow the queues and the batch slice
	if n := testing.AllocsPerRun(100, publish); n != 0 {
		t.Fatalf("4 broadcasts to %d sessions allocate %v times", len(ss), n)
	}
}

// An inbound send, from the decoding of the client's message to the reply,
// with its broadcast fanned out to every member, stays within sendBudget
// allocations.
func TestInboundSendAllocationBudget(t *testing.T) {
	e := &Engine{cfg: Config{Logger: zap.NewNop()}.withDefaults()}
	broker := NewMemoryBroker()
	defer broker.Close()
	roomID := strings.Repeat("ab", 32)
	r := room.New(roomID, "bench", rawEchoHandler{}, room.Config{Fanout: newHub(broker, zap.NewNop())})
	r.Start()
	defer func() { r.Shutdown(); <-r.Done() }()
	ss := make([]*session, 10)
	for i := range ss {
		ss[i] = &session{e: e, id: fmt.Sprintf("s%d", i), user: fmt.Sprintf("u%d", i), connected: true}
		// No socket: the read deadline is set far ahead, so it is never moved.
		ss[i].deadlineSet.Store(math.MaxInt64 / 2)
		ss[i].out.limit = 1 << 20
		ss[i].out.writing = true
		if err := r.Join(context.Background(), ss[i], 1, nil); err != nil {
			t.Fatal(err)
		}
	}
	msg := codec.AppendSend(nil, 7, roomID, "say", codec.AppendString(nil, "hello"), "")
	var batch [][]byte
	for _, s := range ss { // the joined frames
		batch = drainOutbox(s, batch)
	}
	send := func() {
		ss[0].handleMessage(msg)
		for framesQueued(ss[0]) < 2 { // the event, then the reply
			runtime.Gosched()
		}
		for _, s := range ss {
			batch = drainOutbox(s, batch)
		}
	}
	send()
	if n := testing.AllocsPerRun(200, send); n > sendBudget {
		t.Fatalf("an inbound send allocates %v times, budget %d", n, sendBudget)
	}
}
