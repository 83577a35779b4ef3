package room_test

import (
	"sync"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
)

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
		h := &hooks{message: func(*room.Room, *room.Message) (any, error) { return nil, nil }}
		r := room.New(testRoomID, testKind, h, room.Config{MailboxSize: 4096})
		r.Start()
		s := newSession("u", "s1")
		mustJoin(t, r, s, 1)
		s.clear()
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
