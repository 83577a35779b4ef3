package engine

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"sync"
	"testing"

	"github.com/lxzan/gws"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
)

// gateModule is the echo module whose Resolve waits for its gate to
// open, so that joins stay in their aside workers.
type gateModule struct {
	echo.Module
	gate    chan struct{}
	waiting sync.WaitGroup
}

func (g *gateModule) Resolve(ctx context.Context, req *room.ResolveRequest) (string, error) {
	g.waiting.Done()
	<-g.gate
	return g.Module.Resolve(ctx, req)
}

// newAsideEngine returns an engine with m registered, and a function
// that makes a connected session without a socket.
func newAsideEngine(t *testing.T, m room.Module) (*Engine, func(user string) *session) {
	t.Helper()
	e, err := New(Config{
		Authenticate: func(*http.Request) (string, error) { return "", nil },
		Logger:       zap.NewNop(),
		RateLimit:    -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Register(m); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	connect := codec.AppendConnect(nil, 1, "test", "")
	return e, func(user string) *session {
		s := newSession(e, nil, user, "")
		s.deadlineSet.Store(math.MaxInt64 / 2) // no socket: never moved
		s.out.writing = true                   // no writer is started
		s.handleAside(&gws.Message{Opcode: gws.OpcodeBinary, Data: bytes.NewBuffer(connect)})
		if !s.connected {
			t.Fatalf("session %s: not connected", s.id)
		}
		return s
	}
}

func joinMessage(room string) *gws.Message {
	params := codec.AppendString(codec.AppendString(codec.AppendMapHeader(nil, 1), "name"), room)
	return &gws.Message{Opcode: gws.OpcodeBinary, Data: bytes.NewBuffer(codec.AppendJoin(nil, 2, echo.Kind, params, "", 0))}
}

// TestAsideWorkerReused: one reader after another, connects and joins all
// run on the one worker started for the first.
func TestAsideWorkerReused(t *testing.T) {
	e, connect := newAsideEngine(t, echo.Module{})
	for i := range 50 {
		s := connect(fmt.Sprintf("u%d", i))
		s.handleAside(joinMessage("r"))
		if s.roomCount() != 1 {
			t.Fatalf("session %d: in %d rooms, want 1", i, s.roomCount())
		}
	}
	if n := len(e.aside.idle); n != 1 {
		t.Fatalf("%d idle aside workers, want 1", n)
	}
}

// TestAsideWorkersBusy: joins that wait in a module's Resolve each hold a
// worker, more of them than are ever kept idle; a connect of another
// user meanwhile gets a worker of its own at once, all the joins finish
// once released, and maxAsideIdle workers stay.
func TestAsideWorkersBusy(t *testing.T) {
	g := &gateModule{gate: make(chan struct{})}
	e, connect := newAsideEngine(t, g)
	const blocked = maxAsideIdle + 4
	sessions := make([]*session, blocked)
	for i := range sessions {
		sessions[i] = connect(fmt.Sprintf("u%d", i))
	}
	g.waiting.Add(blocked)
	var done sync.WaitGroup
	for i, s := range sessions {
		done.Add(1)
		go func() {
			defer done.Done()
			s.handleAside(joinMessage(fmt.Sprintf("r%d", i/10)))
		}()
	}
	g.waiting.Wait() // every join waits in Resolve, on a worker of its own
	bystander := connect("bystander")
	if !bystander.connected {
		t.Fatal("bystander not connected while the joins wait")
	}
	close(g.gate)
	done.Wait()
	for i, s := range sessions {
		if s.roomCount() != 1 {
			t.Fatalf("session %d: in %d rooms, want 1", i, s.roomCount())
		}
	}
	// Each reader gave its worker back before it returned; the ones
	// beyond maxAsideIdle ended (Shutdown waits for them).
	if n := len(e.aside.idle); n != maxAsideIdle {
		t.Fatalf("%d idle aside workers, want %d", n, maxAsideIdle)
	}
}
