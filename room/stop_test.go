package room_test

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
)

// raceRoom starts a room whose every send succeeds, with room in its
// mailbox for the racing senders, and joins a session to it, whose
// frames so far are cleared. The caller stops the room.
func raceRoom(t *testing.T) (*room.Room, *fakeSession) {
	t.Helper()
	h := &hooks{message: func(*room.Room, *room.Message) (any, error) { return nil, nil }}
	r := room.New(testRoomID, testKind, h, room.Config{MailboxSize: 4096})
	r.Start()
	s := newSession("u", "s1")
	mustJoin(t, r, s, 1)
	s.clear()
	return r, s
}

// Every send that Send accepted (returned nil) is answered, also when the
// room stops meanwhile: by its reply, or by ErrClosed. Senders race the
// room's Shutdown; a send whose op reaches the mailbox after the stopping
// room drained it must be answered too (its Send's select may pick the
// mailbox over the closed done channel when both are ready). Many rounds,
// since the race is a matter of chance in each.
func TestRoomSendAcceptedAtStopIsAnswered(t *testing.T) {
	rounds := 200
	if testing.Short() {
		rounds = 40
	}
	for round := range rounds {
		r, s := raceRoom(t)
		var mu sync.Mutex
		accepted := map[uint64]bool{}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for g := range 8 {
			wg.Go(func() {
				<-start
				for i := range 100 {
					ref := uint64(1000 + g*1000 + i)
					if r.Send(s, ref, "m", nil, "") == nil {
						mu.Lock()
						accepted[ref] = true
						mu.Unlock()
					}
				}
			})
		}
		close(start)
		r.Shutdown()
		wg.Wait()
		waitDone(t, r)
		answered := map[uint64]bool{}
		deadline := time.Now().Add(2 * time.Second)
		for {
			for _, f := range s.ofType(t, codec.TypeReply) {
				if f.Code != "" && f.Code != codec.AsError(room.ErrClosed).Code {
					t.Fatalf("round %d: send %d answered %s %q", round, f.Ref, f.Code, f.Message)
				}
				answered[f.Ref] = true
			}
			if len(answered) >= len(accepted) || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		for ref := range accepted {
			if !answered[ref] {
				t.Fatalf("round %d: send %d was accepted and never answered (%d accepted, %d answered, %d ops left in the mailbox)",
					round, ref, len(accepted), len(answered), r.MailboxLen())
			}
		}
	}
}

// Drain runs the ops already in the mailbox, in order, before the members
// leave: each queued send is applied and answered with its reply, then
// the left frame comes, then OnDispose(shutdown). A send after Drain is
// refused at once with ErrClosed. A handler that closes the room, or
// shuts it down (as on a store conflict), during the drain ends it
// there: the later queued sends are answered ErrClosed. Shutdown alone
// lets the op under way end and refuses what waits in the mailbox.
func TestRoomDrainRunsQueuedOps(t *testing.T) {
	tests := []struct {
		name   string
		drain  bool
		stopAt int                // the op whose handler stops the room, 0 for none
		stop   func(r *room.Room) // how it does
		left   room.LeaveReason
	}{
		{"drain", true, 0, nil, room.LeaveShutdown},
		{"drain, closed at 4", true, 4, (*room.Room).Close, room.LeaveClosed},
		{"drain, shut down at 3", true, 3, (*room.Room).Shutdown, room.LeaveShutdown},
		{"shutdown", false, 0, nil, room.LeaveShutdown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entered := make(chan struct{})
			gate := make(chan struct{})
			release := sync.OnceFunc(func() { close(gate) })
			t.Cleanup(release)
			var ran []int
			h := &hooks{message: func(r *room.Room, m *room.Message) (any, error) {
				var n int
				decodeData(t, m.Data, &n)
				if n == 1 {
					close(entered)
					<-gate
				}
				ran = append(ran, n)
				if n == tt.stopAt {
					tt.stop(r)
				}
				return n, nil
			}}
			r := startRoom(t, h, room.Config{})
			s := newSession("u", "s1")
			mustJoin(t, r, s, 100)
			s.clear()
			const queued = 8
			for n := 1; n <= queued; n++ {
				data, err := codec.MarshalData(n)
				if err != nil {
					t.Fatal(err)
				}
				if err := r.Send(s, uint64(n), "m", data, ""); err != nil {
					t.Fatalf("send %d: %v", n, err)
				}
				if n == 1 {
					<-entered // the room runs it; the others wait in the mailbox
				}
			}
			if tt.drain {
				r.Drain()
			} else {
				r.Shutdown()
			}
			if err := r.Send(s, 99, "m", nil, ""); err != room.ErrClosed {
				t.Errorf("a send after the stop was asked: %v, want ErrClosed", err)
			}
			release()
			waitDone(t, r)

			last := queued
			switch {
			case tt.stopAt > 0:
				last = tt.stopAt
			case !tt.drain:
				last = 1
			}
			if want := ints(1, last); !slices.Equal(ran, want) {
				t.Fatalf("ran %v, want %v", ran, want)
			}
			// The replies of the sends that ran, in order, then the left
			// frame, then the others' refusals (which come just after
			// Done is closed).
			waitFor(t, "every frame", func() bool { return len(s.raw()) >= queued+1 })
			frames := s.decoded(t)
			if len(frames) != queued+1 {
				t.Fatalf("%d frames, want %d: %+v", len(frames), queued+1, frames)
			}
			for i, f := range frames {
				switch {
				case i < last:
					if f.Type != codec.TypeReply || f.Ref != uint64(i+1) || f.Code != "" {
						t.Fatalf("frame %d: %+v, want the reply to %d", i, f, i+1)
					}
				case i == last:
					if f.Type != codec.TypeLeft || f.Reason != string(tt.left) {
						t.Fatalf("frame %d: %+v, want a left frame (%s)", i, f, tt.left)
					}
				default:
					if f.Type != codec.TypeReply || f.Ref != uint64(i) || f.Code != codec.AsError(room.ErrClosed).Code {
						t.Fatalf("frame %d: %+v, want %d refused ErrClosed", i, f, i)
					}
				}
			}
			dispose := room.DisposeShutdown
			if tt.left == room.LeaveClosed {
				dispose = room.DisposeClosed
			}
			if n := h.count(fmt.Sprintf("dispose %s", dispose)); n != 1 {
				t.Fatalf("OnDispose(%s) ran %d times; calls %v", dispose, n, h.calls())
			}
		})
	}
}

// ints returns from, from+1, ..., to.
func ints(from, to int) []int {
	var out []int
	for n := from; n <= to; n++ {
		out = append(out, n)
	}
	return out
}

// Every send that Send accepted (returned nil) while the room was being
// drained runs and is answered with its reply, never with ErrClosed: a
// send that passed the room's check just as Drain was called is waited
// for. Many rounds, since the race is a matter of chance in each.
func TestRoomDrainRunsEveryAcceptedSend(t *testing.T) {
	rounds := 200
	if testing.Short() {
		rounds = 40
	}
	var total int64
	for round := range rounds {
		r, s := raceRoom(t)
		var accepted atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for g := range 8 {
			wg.Go(func() {
				<-start
				for i := range 100 {
					if r.Send(s, uint64(1000+g*1000+i), "m", nil, "") == nil {
						accepted.Add(1)
					}
				}
			})
		}
		close(start)
		// Drain at a different point of the sending in each round.
		for accepted.Load() < int64(round%400) {
			runtime.Gosched()
		}
		r.Drain()
		wg.Wait()
		waitDone(t, r)
		total += accepted.Load()
		replies := s.ofType(t, codec.TypeReply)
		for _, f := range replies {
			if f.Code != "" {
				t.Fatalf("round %d: send %d answered %s %q", round, f.Ref, f.Code, f.Message)
			}
		}
		if int64(len(replies)) != accepted.Load() {
			t.Fatalf("round %d: %d sends accepted, %d answered", round, accepted.Load(), len(replies))
		}
	}
	t.Logf("%d sends accepted in %d rounds", total, rounds)
}
