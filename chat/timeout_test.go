package chat_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
)

// slowStore is a real MemoryStore whose next Append, once armed, does
// not answer before the caller's deadline has passed. Then it either
// stores the entry anyway (a store that ignores ctx) or gives up without
// storing it.
type slowStore struct {
	*chat.MemoryStore
	armed     atomic.Bool
	storeLate bool
}

func (s *slowStore) Append(ctx context.Context, w chat.Write) (chat.Message, bool, error) {
	if !s.armed.CompareAndSwap(true, false) {
		return s.MemoryStore.Append(ctx, w)
	}
	<-ctx.Done()
	if s.storeLate {
		return s.MemoryStore.Append(context.Background(), w)
	}
	return chat.Message{}, false, ctx.Err()
}

// TestTimeoutClosesRoom: a send whose append outlives Config.OpTimeout
// gets unavailable and is never broadcast; the room closes, and what the
// members see next is the log as the store has it. A retry with the same
// client message id returns the entry the store kept, or stores it if
// the store did not: the author's ack and what the others see agree, and
// the seqs carry on without a gap or a conflict.
func TestTimeoutClosesRoom(t *testing.T) {
	for _, late := range []bool{true, false} {
		name := map[bool]string{true: "stored late", false: "not stored"}[late]
		t.Run(name, func(t *testing.T) {
			st := &slowStore{MemoryStore: chat.NewMemoryStore(), storeLate: late}
			e := start(t, chat.Config{Store: st, OpTimeout: 200 * time.Millisecond})
			alice, bob := e.dial("alice"), e.dial("bob")
			id, _ := alice.dm("bob")
			bob.dm("alice")
			alice.say(id, "before")
			bob.nextMessage(id)

			st.armed.Store(true)
			_, err := alice.Send(ctxT(t), id, chat.OpSend, chat.SendRequest{Text: "slow"}, client.WithClientMsgID("c-slow"))
			if code(t, err) != codec.CodeUnavailable {
				t.Fatalf("slow send: %v, want unavailable", err)
			}
			// No phantom: bob is told the room closed, and never gets the
			// entry from it.
			if ev := bob.nextAny(id, chat.EventPresence, chat.EventTyping); !ev.Left || ev.Reason != "closed" {
				t.Fatalf("bob got %s %+v, want the room closed", ev.Name, ev)
			}
			stored, err := st.Lookup(ctxT(t), id, "alice", "c-slow")
			if late != (err == nil) || (!late && !errors.Is(err, chat.ErrNotFound)) {
				t.Fatalf("store lookup after the timeout: %+v, %v", stored, err)
			}

			// Joining again shows the log as stored.
			_, snap := bob.dm("alice")
			want := uint64(1)
			if late {
				want = 2
			}
			if snap.Head != want || len(snap.Messages) != int(want) {
				t.Fatalf("bob's snapshot: head %d, %d messages, want %d", snap.Head, len(snap.Messages), want)
			}
			if late && snap.Messages[1].ID != stored.ID {
				t.Fatalf("bob's snapshot %+v, want the stored entry", snap.Messages[1])
			}
			// The author's retry agrees with what bob sees.
			alice.dm("bob")
			retry := alice.say(id, "slow", client.WithClientMsgID("c-slow"))
			if retry.Seq != 2 || (late && retry.ID != stored.ID) {
				t.Fatalf("retry %+v, want seq 2 (stored %+v)", retry, stored)
			}
			if !late {
				if got := bob.nextMessage(id); got.ID != retry.ID {
					t.Fatalf("bob got %+v, want the retried message", got)
				}
			}
			after := alice.say(id, "after")
			if got := bob.nextMessage(id); got.Seq != 3 || got.ID != after.ID {
				t.Fatalf("bob got %+v, want the next message at seq 3", got)
			}
		})
	}
}

// TestTimeoutInHook: a hook that answers after the deadline fails the
// request with unavailable before anything is stored; the room carries on.
func TestTimeoutInHook(t *testing.T) {
	var slow atomic.Bool
	e := start(t, chat.Config{OpTimeout: 200 * time.Millisecond, Moderate: func(ctx context.Context, d *chat.Draft) error {
		if slow.Load() {
			<-ctx.Done()
		}
		return nil
	}})
	alice, bob := e.dial("alice"), e.dial("bob")
	id, _ := alice.dm("bob")
	bob.dm("alice")
	slow.Store(true)
	if c := alice.requestErr(id, chat.OpSend, chat.SendRequest{Text: "slow"}); c != codec.CodeUnavailable {
		t.Fatalf("send with a slow hook: %s, want unavailable", c)
	}
	slow.Store(false)
	m := alice.say(id, "fast")
	if got := bob.nextAny(id, chat.EventPresence); got.Name != chat.KindMessage || got.Seq != 1 || got.Seq != m.Seq {
		t.Fatalf("bob got %s seq %d, want the fast message at seq 1", got.Name, got.Seq)
	}
}
