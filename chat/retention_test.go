package chat_test

import (
	"slices"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/room"
)

// TestRetentionByCount: a DM rule keeps the newest MaxEntries entries of
// DMs; seqs carry on, history pages stop at the first kept entry, and a
// group (another kind, other users) keeps everything.
func TestRetentionByCount(t *testing.T) {
	e := start(t, chat.Config{Retention: chat.Retention{DM: chat.RetentionRule{MaxEntries: 3}, Interval: -1}})
	alice, bob, carol := e.dial("alice"), e.dial("bob"), e.dial("carol")
	dm, _ := alice.dm("bob")
	for _, text := range []string{"one", "two", "three", "four", "five"} {
		alice.say(dm, text)
	}
	group, _ := carol.createGroup("bystanders", "alice")
	for _, text := range []string{"a", "b", "c", "d"} {
		carol.say(group, text)
	}
	if n, err := e.chat.Trim(ctxT(t)); err != nil || n != 2 {
		t.Fatalf("Trim = %d, %v; want 2 removed", n, err)
	}
	_, snap := bob.dm("alice")
	if got := seqsOf(snap.Messages); snap.Head != 5 || !slices.Equal(got, []uint64{3, 4, 5}) {
		t.Fatalf("bob's snapshot: head %d, seqs %v", snap.Head, got)
	}
	if page := bob.history(dm, 3, 10); len(page.Messages) != 0 || page.More {
		t.Fatalf("history before the kept entries: %+v", page)
	}
	if m := alice.say(dm, "six"); m.Seq != 6 {
		t.Fatalf("the next message has seq %d, want 6", m.Seq)
	}
	if page := carol.history(group, 0, 10); len(page.Messages) != 5 {
		t.Fatalf("the group kept %d entries, want all 5", len(page.Messages))
	}
	if n, _ := e.chat.Trim(ctxT(t)); n != 1 {
		t.Fatalf("second Trim removed %d, want 1", n)
	}
}

// TestRetentionByAge: a group rule removes the entries older than MaxAge,
// and a generous one removes nothing.
func TestRetentionByAge(t *testing.T) {
	for _, c := range []struct {
		maxAge time.Duration
		kept   int
	}{{time.Hour, 3}, {time.Millisecond, 0}} {
		e := start(t, chat.Config{Retention: chat.Retention{Group: chat.RetentionRule{MaxAge: c.maxAge}, Interval: -1}})
		alice := e.dial("alice")
		group, _ := alice.createGroup("g", "bob")
		alice.say(group, "one")
		alice.say(group, "two")
		nextMillisecond()
		nextMillisecond() // everything is now at least a millisecond old
		if _, err := e.chat.Trim(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		if page := alice.history(group, 0, 10); len(page.Messages) != c.kept {
			t.Fatalf("MaxAge %v kept %d entries, want %d", c.maxAge, len(page.Messages), c.kept)
		}
	}
}

// TestRetentionResume: a client that resumes from before a trim cannot
// be replayed what was removed: it gets recovered false and a snapshot.
func TestRetentionResume(t *testing.T) {
	st := chat.NewMemoryStore()
	e := start(t, chat.Config{Store: st, Retention: chat.Retention{DM: chat.RetentionRule{MaxEntries: 2}, Interval: -1}})
	alice := e.dial("alice")
	dm, _ := alice.dm("bob")
	for _, text := range []string{"one", "two", "three", "four"} {
		alice.say(dm, text)
	}
	if _, err := e.chat.Trim(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	// Empty the room's own replay buffer, as a restart would.
	e.inRoom(dm, func(r *room.Room) { r.SetEpoch("x"); r.SetEpoch(st.Epoch()) })
	if frames := resume(e, dm, "alice", st.Epoch(), 1); len(frames) != 1 || frames[0].Recovered || frames[0].Seq != 4 {
		t.Fatalf("resume from a trimmed range: %+v", frames)
	}
	frames := resume(e, dm, "alice", st.Epoch(), 2)
	if len(frames) != 3 || !frames[0].Recovered || frames[1].Seq != 3 || frames[2].Seq != 4 {
		t.Fatalf("resume from the kept range: %+v", frames)
	}
}

// TestRetentionSweeper: with an interval, the sweeper trims by itself,
// and Close stops it (the test's leak check fails otherwise).
func TestRetentionSweeper(t *testing.T) {
	e := start(t, chat.Config{Retention: chat.Retention{DM: chat.RetentionRule{MaxEntries: 1}, Interval: 10 * time.Millisecond}})
	t.Cleanup(func() { _ = e.chat.Close() })
	alice := e.dial("alice")
	dm, _ := alice.dm("bob")
	alice.say(dm, "one")
	alice.say(dm, "two")
	deadline := time.Now().Add(wait)
	for len(alice.history(dm, 0, 10).Messages) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the sweeper did not trim the DM")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := e.chat.Close(); err != nil {
		t.Fatal(err)
	}
	_ = e.chat.Close() // twice is fine
}
