package room_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
)

func TestSendInlineRunsOnCallerWhenIdle(t *testing.T) {
	var handlerG atomic.Uint64
	h := &hooks{message: func(r *room.Room, m *room.Message) (any, error) {
		handlerG.Store(goid())
		_, err := r.Broadcast("said", m.Data)
		return nil, err
	}}
	r := startRoom(t, h, room.Config{})
	a, b := newSession("alice", "a1"), newSession("bob", "b1")
	mustJoin(t, r, a, 1)
	mustJoin(t, r, b, 2)
	data, _ := codec.MarshalData("hi")
	// A join's caller is released before the room goroutine lets go of
	// the room, so the first sends may still find it busy and queue.
	inline := false
	for ref := uint64(3); ref < 100 && !inline; ref++ {
		handlerG.Store(0)
		if err := r.SendInline(a, ref, "say", data, ""); err != nil {
			t.Fatal(err)
		}
		if handlerG.Load() != goid() {
			do(t, r, func() {})
			continue
		}
		inline = true
		// No wait: an inline send has replied and broadcast when it
		// returns.
		if rep := a.reply(t, ref); rep.Code != "" {
			t.Fatalf("reply = %+v", rep)
		}
		if n := len(b.ofType(t, codec.TypeEvent)); n != int(ref-2) {
			t.Fatalf("bob got %d events, want %d", n, ref-2)
		}
	}
	if !inline {
		t.Fatal("no send to an idle room ran on the caller's goroutine")
	}
}

func TestSendInlineQueuesBehindBusyRoomInOrder(t *testing.T) {
	var roomG atomic.Uint64
	var order []uint64 // room goroutine only
	h := &hooks{
		create: func(*room.Room) error { roomG.Store(goid()); return nil },
		message: func(r *room.Room, m *room.Message) (any, error) {
			var n uint64
			if err := codec.UnmarshalData(m.Data, &n); err != nil {
				return nil, err
			}
			order = append(order, n)
			return nil, nil
		},
	}
	r := startRoom(t, h, room.Config{})
	a, b := newSession("alice", "a1"), newSession("bob", "b1")
	mustJoin(t, r, a, 1)
	mustJoin(t, r, b, 2)

	// Hold the room on its own goroutine, as a slow hook would.
	entered, release := make(chan struct{}), make(chan struct{})
	doErr := make(chan error, 1)
	go func() { doErr <- r.Do(context.Background(), func() { close(entered); <-release }) }()
	<-entered

	send := func(s *fakeSession, ref, n uint64) {
		t.Helper()
		data, _ := codec.MarshalData(n)
		if err := r.SendInline(s, ref, "n", data, ""); err != nil {
			t.Fatal(err)
		}
	}
	// The room is busy: these queue, and SendInline returns at once.
	send(a, 10, 1)
	send(b, 20, 100) // the bystander is not held up either
	send(a, 11, 2)
	if len(a.ofType(t, codec.TypeReply)) != 0 {
		t.Fatal("a send ran while the room was busy")
	}
	close(release)
	if err := <-doErr; err != nil {
		t.Fatal(err)
	}
	// Right after the queue drains, the next send may run inline; it
	// must still come after the queued ones.
	send(a, 12, 3)
	do(t, r, func() {})
	var got []uint64
	do(t, r, func() { got = append(got, order...) })
	want := []uint64{1, 100, 2, 3}
	if len(got) != len(want) {
		t.Fatalf("handled %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("handled %v, want %v", got, want)
		}
	}
	for _, ref := range []uint64{10, 11, 12} {
		if rep := a.reply(t, ref); rep.Code != "" {
			t.Errorf("ref %d: %+v", ref, rep)
		}
	}
	if rep := b.reply(t, 20); rep.Code != "" {
		t.Errorf("bob's reply: %+v", rep)
	}
}

// Inline sends from many connections, mailbox sends, timers and Do calls
// all touch the same plain state: the race detector and the per-sender
// order prove one actor at a time.
func TestSendInlineOneActorAtATime(t *testing.T) {
	var n int // plain int on purpose
	last := map[string]uint64{}
	var outOfOrder atomic.Int32
	h := &hooks{message: func(r *room.Room, m *room.Message) (any, error) {
		var k uint64
		if err := codec.UnmarshalData(m.Data, &k); err != nil {
			return nil, err
		}
		if k <= last[m.User] && last[m.User] != 0 {
			outOfOrder.Add(1)
		}
		last[m.User] = k
		n++
		r.BroadcastRaw("n", m.Data)
		return nil, nil
	}}
	r := startRoom(t, h, room.Config{MailboxSize: 4096})
	const senders, msgs, timers = 4, 200, 100
	sessions := make([]*fakeSession, senders)
	for i := range sessions {
		sessions[i] = newSession(string(rune('a'+i)), string(rune('a'+i))+"1")
		mustJoin(t, r, sessions[i], uint64(i+1))
	}
	do(t, r, func() {
		for i := range timers {
			r.After(time.Duration(i%5)*time.Millisecond, func() { n++ })
		}
	})
	var wg sync.WaitGroup
	for i, s := range sessions {
		wg.Go(func() {
			for k := uint64(1); k <= msgs; k++ {
				data, _ := codec.MarshalData(k)
				var err error
				if i%2 == 0 {
					err = r.SendInline(s, 100+k, "n", data, "")
				} else {
					err = r.Send(s, 100+k, "n", data, "")
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			do(t, r, func() { n++ })
		}
	})
	wg.Wait()
	waitFor(t, "every message, timer and Do", func() bool {
		var got int
		do(t, r, func() { got = n })
		return got == senders*msgs+timers+20
	})
	if outOfOrder.Load() != 0 {
		t.Fatalf("%d sends ran out of their sender's order", outOfOrder.Load())
	}
	// Every member saw the broadcasts in one seq order with no gap.
	for _, s := range sessions {
		evs := s.ofType(t, codec.TypeEvent)
		if len(evs) != senders*msgs {
			t.Fatalf("%s got %d events, want %d", s.id, len(evs), senders*msgs)
		}
		for i, ev := range evs {
			if ev.Seq != uint64(i+1) {
				t.Fatalf("%s event %d has seq %d", s.id, i, ev.Seq)
			}
		}
	}
}

func TestSendInlineCloseDisposes(t *testing.T) {
	h := &hooks{message: func(r *room.Room, m *room.Message) (any, error) {
		r.Close()
		return "bye", nil
	}}
	r := startRoom(t, h, room.Config{})
	a, b := newSession("alice", "a1"), newSession("bob", "b1")
	mustJoin(t, r, a, 1)
	mustJoin(t, r, b, 2)
	if err := r.SendInline(a, 3, "end", nil, ""); err != nil {
		t.Fatal(err)
	}
	waitDone(t, r)
	if rep := a.reply(t, 3); rep.Code != "" {
		t.Fatalf("reply = %+v", rep)
	}
	if h.count("dispose closed") != 1 {
		t.Fatalf("calls = %v, want dispose closed", h.calls())
	}
	if h.count("message alice end") != 1 {
		t.Fatalf("calls = %v, want one message", h.calls())
	}
	if err := r.SendInline(b, 4, "end", nil, ""); err != room.ErrClosed {
		t.Fatalf("SendInline to a closed room = %v, want ErrClosed", err)
	}
}

func TestSendInlineBeforeStartQueues(t *testing.T) {
	h := &hooks{}
	r := room.New(testRoomID, testKind, h, room.Config{})
	s := newSession("alice", "a1")
	// The room has not run OnCreate: the send must wait for it.
	if err := r.SendInline(s, 1, "x", nil, ""); err != nil {
		t.Fatal(err)
	}
	if len(h.calls()) != 0 {
		t.Fatalf("hooks ran before Start: %v", h.calls())
	}
	r.Start()
	t.Cleanup(func() { r.Shutdown(); waitDone(t, r) })
	do(t, r, func() {})
	if rep := s.reply(t, 1); rep.Code != codec.AsError(room.ErrNotMember).Code {
		t.Fatalf("a non-member's send got %+v", rep)
	}
	if calls := h.calls(); len(calls) != 1 || calls[0] != "create" {
		t.Fatalf("calls = %v, want only create", calls)
	}
}
