package room_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/room"
)

// oneTab keeps one session per user: a rejoin kicks the user's others.
type oneTab struct{ room.BaseHandler }

func (oneTab) OnJoin(r *room.Room, j *room.Join) (any, error) {
	if j.Rejoin {
		r.Kick(j.User)
	}
	return nil, nil
}

func (oneTab) OnMessage(*room.Room, *room.Message) (any, error) { return "ok", nil }

// TestKickInOnJoinKeepsTheJoiner: an OnJoin that kicks the joiner's other
// sessions leaves the joiner a member, as its joined frame says: its sends
// are taken, and a room with no idle TTL does not dispose under it.
func TestKickInOnJoinKeepsTheJoiner(t *testing.T) {
	for _, ttl := range []time.Duration{-1, time.Minute} {
		r := room.New("r", "k", oneTab{}, room.Config{IdleTTL: ttl})
		r.Start()
		ctx := context.Background()
		a1, a2 := newSession("alice", "c1"), newSession("alice", "c2")
		if err := r.Join(ctx, a1, 1, nil); err != nil {
			t.Fatal(err)
		}
		if err := r.Join(ctx, a2, 2, nil); err != nil {
			t.Fatal(err)
		}
		if got := a1.leftReasons(); len(got) != 1 || got[0] != room.LeaveKicked {
			t.Fatalf("IdleTTL %v: the first tab left %v, want kicked", ttl, got)
		}
		var member bool
		if err := r.Do(ctx, func() { member = r.IsMember("alice") }); err != nil {
			t.Fatalf("IdleTTL %v: the room stopped under the joiner: %v", ttl, err)
		}
		if !member {
			t.Fatalf("IdleTTL %v: alice joined on her second tab but is no member", ttl)
		}
		r.Shutdown()
		<-r.Done()
	}
}

// TestAbandonedJoinDisposesEmptyRoom: a room with no idle TTL whose first
// join gave up before it was posted (its context ended) has no member and
// no op to come: it is disposed, not kept for good.
func TestAbandonedJoinDisposesEmptyRoom(t *testing.T) {
	for i := range 20 {
		r := room.New("r", "k", room.BaseHandler{}, room.Config{IdleTTL: -1})
		r.Start()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = r.Join(ctx, newSession("u", "c"), 1, nil)
		select {
		case <-r.Done():
		case <-time.After(2 * time.Second):
			r.Shutdown()
			<-r.Done()
			t.Fatalf("round %d: the empty room was kept", i)
		}
	}
}

// closer closes its room on "close" and counts what it applies after.
type closer struct {
	room.BaseHandler
	closed  bool
	applied atomic.Int32
}

func (h *closer) OnMessage(r *room.Room, m *room.Message) (any, error) {
	if m.Event == "close" {
		h.closed = true
		r.Close()
		return nil, nil
	}
	if h.closed {
		h.applied.Add(1)
	}
	return "ok", nil
}

// TestNothingRunsAfterInlineClose: a send run inline that closes the room
// (a resignation, say) is the last thing the room runs: a send queued
// behind it before the room goroutine took the wake-up is refused, not
// applied to the closed room and answered as if it counted.
func TestNothingRunsAfterInlineClose(t *testing.T) {
	for i := range 30 {
		var mu sync.Mutex
		var held []func()
		release := func() {
			mu.Lock()
			fs := held
			held = nil
			mu.Unlock()
			for _, f := range fs {
				go f()
			}
		}
		h := &closer{}
		// Config.Go holds back the room goroutine's restarts, so that the
		// second send is queued while the wake-up of the first waits.
		r := room.New("r", "k", h, room.Config{ParkAfter: time.Millisecond, Go: func(f func()) {
			mu.Lock()
			held = append(held, f)
			mu.Unlock()
		}})
		r.Start()
		release()
		a, b := newSession("a", "ca"), newSession("b", "cb")
		for _, s := range []*fakeSession{a, b} {
			done := make(chan error, 1)
			go func() { done <- r.Join(context.Background(), s, 1, nil) }()
			for joined := false; !joined; {
				select {
				case err := <-done:
					if err != nil {
						t.Fatal(err)
					}
					joined = true
				default:
					release()
					time.Sleep(time.Millisecond)
				}
			}
		}
		time.Sleep(20 * time.Millisecond) // the room parks
		release()
		time.Sleep(20 * time.Millisecond)
		if err := r.SendInline(a, 2, "close", nil, ""); err != nil {
			t.Fatal(err)
		}
		_ = r.SendInline(b, 3, "move", nil, "")
		release()
		<-r.Done()
		if n := h.applied.Load(); n > 0 {
			t.Fatalf("round %d: the room applied %d send(s) after it closed", i, n)
		}
	}
}
