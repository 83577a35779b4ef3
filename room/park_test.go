package room_test

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
	"github.com/parlorhq/parlor/room/roomtest"
)

// goroutines is a Config.Go that counts the room goroutines it starts and
// those still running.
type goroutines struct {
	started, running atomic.Int32
	wg               sync.WaitGroup
}

func (g *goroutines) Go(f func()) {
	g.started.Add(1)
	g.running.Add(1)
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		defer g.running.Add(-1)
		f()
	}()
}

func (g *goroutines) waitParked(t *testing.T) {
	t.Helper()
	waitFor(t, "the room to park", func() bool { return g.running.Load() == 0 })
}

func TestRoomParksAndResumes(t *testing.T) {
	clk := roomtest.NewFakeClock(time.Time{})
	var g goroutines
	h := &hooks{message: func(r *room.Room, m *room.Message) (any, error) {
		if m.Event == "arm" {
			user := m.User
			r.After(time.Second, func() { _ = r.SendTo(user, "rang", nil) })
		}
		return m.Event, nil
	}}
	r := startRoom(t, h, room.Config{Clock: clk, ParkAfter: time.Millisecond, Go: g.Go})
	s := newSession("alice", "a1")
	mustJoin(t, r, s, 1)
	g.waitParked(t)

	// A send to an idle room runs inline: no goroutine is started.
	before := g.started.Load()
	if err := r.SendInline(s, 2, "inline", nil, ""); err != nil {
		t.Fatal(err)
	}
	if got := g.started.Load(); got != before {
		t.Fatalf("an inline send started %d room goroutines", got-before)
	}
	if rep := s.reply(t, 2); rep.Code != "" {
		t.Fatalf("inline send: %q", rep.Code)
	}

	// A queued send starts the room again, and is answered.
	if err := r.Send(s, 3, "arm", nil, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the queued send's reply", func() bool { return len(s.ofType(t, codec.TypeReply)) == 2 })
	if g.started.Load() == before {
		t.Fatal("a queued send to a parked room started no goroutine")
	}
	g.waitParked(t)

	// A timer armed before parking fires on a fresh goroutine.
	started := g.started.Load()
	clk.Advance(time.Second)
	if got := len(s.ofType(t, codec.TypeEvent)); got != 1 {
		t.Fatalf("events after the timer = %d, want 1", got)
	}
	if g.started.Load() == started {
		t.Fatal("the timer of a parked room started no goroutine")
	}
	g.waitParked(t)

	// Shutdown of a parked room still says goodbye.
	r.Shutdown()
	waitDone(t, r)
	g.wg.Wait()
	if h.count("leave alice shutdown") != 1 || h.count("dispose shutdown") != 1 {
		t.Fatalf("hooks after shutting a parked room down: %q", h.calls())
	}
}

func TestRoomParkedMailboxStaysBounded(t *testing.T) {
	var g goroutines
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	h := &hooks{message: func(*room.Room, *room.Message) (any, error) {
		entered <- struct{}{}
		<-release
		return nil, nil
	}}
	r := startRoom(t, h, room.Config{MailboxSize: 2, ParkAfter: time.Millisecond, Go: g.Go})
	s := newSession("alice", "a1")
	mustJoin(t, r, s, 1)
	g.waitParked(t)
	if err := r.Send(s, 10, "block", nil, ""); err != nil {
		t.Fatal(err)
	}
	<-entered
	for ref := uint64(11); ref <= 12; ref++ {
		if err := r.Send(s, ref, "block", nil, ""); err != nil {
			t.Fatalf("send %d: %v", ref, err)
		}
	}
	if err := r.Send(s, 13, "block", nil, ""); err != room.ErrBusy {
		t.Fatalf("send to the full mailbox of a resumed room = %v, want ErrBusy", err)
	}
	go func() {
		for range 2 {
			<-entered
		}
	}()
	close(release)
	do(t, r, func() {})
	for ref := uint64(10); ref <= 12; ref++ {
		if rep := s.reply(t, ref); rep.Code != "" {
			t.Errorf("ref %d: code %q", ref, rep.Code)
		}
	}
}

// TestRoomParkRaceKeepsOrder parks the room at every lull, while several
// sessions post sends, joins run and timers fire, so that posts race with
// the goroutine's exit: nothing is lost, each session's sends run in
// order, and hooks never run two at a time.
func TestRoomParkRaceKeepsOrder(t *testing.T) {
	const senders, perSender = 4, 300
	var g goroutines
	var inHook atomic.Int32
	var mu sync.Mutex
	got := make(map[string][]int)
	h := &hooks{message: func(r *room.Room, m *room.Message) (any, error) {
		if inHook.Add(1) != 1 {
			t.Error("two hooks ran at once")
		}
		defer inHook.Add(-1)
		n, _ := strconv.Atoi(m.Event)
		mu.Lock()
		got[m.User] = append(got[m.User], n)
		mu.Unlock()
		if n%50 == 0 {
			r.After(time.Microsecond, func() {})
		}
		return nil, nil
	}}
	r := startRoom(t, h, room.Config{MailboxSize: senders * perSender, ParkAfter: time.Nanosecond, Go: g.Go})
	sessions := make([]*fakeSession, senders)
	for i := range sessions {
		sessions[i] = newSession("u"+strconv.Itoa(i), "s"+strconv.Itoa(i))
		mustJoin(t, r, sessions[i], 1)
	}
	var wg sync.WaitGroup
	for i, s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range perSender {
				var err error
				if n%3 == 0 {
					err = r.SendInline(s, uint64(n+2), strconv.Itoa(n), nil, "")
				} else {
					err = r.Send(s, uint64(n+2), strconv.Itoa(n), nil, "")
				}
				if err != nil {
					t.Errorf("send %d: %v", n, err)
					return
				}
				if n%(i+7) == 0 {
					time.Sleep(50 * time.Microsecond) // a lull: the room may park
				}
			}
		}()
	}
	wg.Wait()
	waitFor(t, "every reply", func() bool {
		for _, s := range sessions {
			if len(s.ofType(t, codec.TypeReply)) != perSender {
				return false
			}
		}
		return true
	})
	mu.Lock()
	defer mu.Unlock()
	for _, s := range sessions {
		seq := got[s.user]
		if len(seq) != perSender {
			t.Fatalf("%s: %d sends handled, want %d", s.user, len(seq), perSender)
		}
		for n, v := range seq {
			if v != n {
				t.Fatalf("%s: send %d handled in place %d", s.user, v, n)
			}
		}
	}
	if g.started.Load() < 2 {
		t.Fatalf("the room goroutine started %d times: it never parked", g.started.Load())
	}
}

func TestRoomRunNeverParks(t *testing.T) {
	var g goroutines
	h := &hooks{message: func(*room.Room, *room.Message) (any, error) { return nil, nil }}
	r := room.New(testRoomID, testKind, h, room.Config{ParkAfter: time.Nanosecond, Go: g.Go})
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run()
	}()
	s := newSession("alice", "a1")
	mustJoin(t, r, s, 1)
	time.Sleep(10 * time.Millisecond) // many ParkAfters
	if err := r.Send(s, 2, "x", nil, ""); err != nil {
		t.Fatal(err)
	}
	do(t, r, func() {})
	r.Shutdown()
	<-done
	if n := g.started.Load(); n != 0 {
		t.Fatalf("a room run by Run started %d goroutines", n)
	}
}
