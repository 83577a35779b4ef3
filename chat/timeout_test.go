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

// lostAnswerStore is a real MemoryStore whose next Append, once armed,
// stores the entry and then reports a failure, as a database that took
// the commit and lost the connection before its answer does. With
// lookupFails, the Lookup that follows fails too (the database still
// out of reach).
type lostAnswerStore struct {
	*chat.MemoryStore
	armed, lookupFails atomic.Bool
}

func (s *lostAnswerStore) Append(ctx context.Context, w chat.Write) (chat.Message, bool, error) {
	m, dup, err := s.MemoryStore.Append(ctx, w)
	if err == nil && s.armed.CompareAndSwap(true, false) {
		return chat.Message{}, false, errors.New("connection lost before the commit's answer")
	}
	return m, dup, err
}

func (s *lostAnswerStore) Lookup(ctx context.Context, room, user, clientMsgID string) (chat.Message, error) {
	if s.lookupFails.CompareAndSwap(true, false) {
		return chat.Message{}, errors.New("database out of reach")
	}
	return s.MemoryStore.Lookup(ctx, room, user, clientMsgID)
}

// TestEntryAheadOfRoom: a send whose append failed with an outcome
// unknown (stored, but the answer lost) leaves the log a step ahead of
// the room. The send, or its retry with the same client message id when
// the store could not tell at once, is answered with the stored entry;
// the room then stops, so that its members join again and get the entry
// it never broadcast, and the next send goes on at the next seq instead
// of meeting a conflict.
func TestEntryAheadOfRoom(t *testing.T) {
	for _, retry := range []bool{false, true} {
		t.Run(map[bool]string{false: "found at once", true: "found by the retry"}[retry], func(t *testing.T) {
			st := &lostAnswerStore{MemoryStore: chat.NewMemoryStore()}
			e := start(t, chat.Config{Store: st})
			alice, bob := e.dial("alice"), e.dial("bob")
			id, _ := alice.dm("bob")
			bob.dm("alice")
			alice.say(id, "one")
			bob.nextMessage(id)

			st.armed.Store(true)
			st.lookupFails.Store(retry)
			send := func() (client.Reply, error) {
				return alice.Send(ctxT(t), id, chat.OpSend, chat.SendRequest{Text: "two"}, client.WithClientMsgID("c2"))
			}
			rep, err := send()
			if retry {
				if err == nil {
					t.Fatal("the send was acked though the store could not tell whether it held it")
				}
				rep, err = send()
			}
			if err != nil {
				t.Fatalf("the send: %v", err)
			}
			var m chat.Message
			if err := rep.Decode(&m); err != nil || m.Seq != 2 || m.Text != "two" {
				t.Fatalf("the reply %+v (%v), want seq 2 \"two\"", m, err)
			}
			if ev := bob.nextAny(id, chat.EventPresence, chat.EventTyping); !ev.Left {
				t.Fatalf("bob got %s %+v, want the room stopped", ev.Name, ev)
			}
			if _, snap := bob.dm("alice"); snap.Head != 2 || snap.Messages[1].Text != "two" {
				t.Fatalf("bob's snapshot after joining again: head %d, %+v", snap.Head, snap.Messages)
			}
			if got := bob.say(id, "three"); got.Seq != 3 {
				t.Fatalf("bob's next message at seq %d, want 3", got.Seq)
			}
		})
	}
}
