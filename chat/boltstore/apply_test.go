package boltstore

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/parlorhq/parlor/chat"
)

// TestTxCacheWritesAtFlush: the appends of a transaction leave a room's
// meta and receipts in the cache, and the file holds the last of them
// only once the cache is flushed, which empties it.
func TestTxCacheWritesAtFlush(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		var c txCache
		if m := c.meta(tx, "d1"); m.head != 0 {
			t.Fatalf("meta of a new room: %+v", m)
		}
		k := readKey("d1", "a")
		for seq := uint64(1); seq <= 5; seq++ {
			m := c.meta(tx, "d1")
			if m.head != seq-1 {
				t.Fatalf("cached head %d before message %d", m.head, seq)
			}
			m.head, m.num = seq, 7
			c.setMeta("d1", m)
			c.setRead("d1", "a", k, seq)
		}
		if m := getMeta(tx, "d1"); m.head != 0 {
			t.Fatalf("the file has head %d before the flush", m.head)
		}
		if v := tx.Bucket(bucketReads).Get(k); v != nil {
			t.Fatalf("the file has a receipt before the flush: %x", v)
		}
		if seq, ok := c.read("d1", "a"); !ok || seq != 5 {
			t.Fatalf("cached receipt %d, %v; want 5", seq, ok)
		}
		if err := c.flush(tx); err != nil {
			return err
		}
		if m := getMeta(tx, "d1"); m.head != 5 || m.num != 7 {
			t.Fatalf("the file has meta %+v after the flush, want head 5, number 7", m)
		}
		if got := getUint(tx.Bucket(bucketReads).Get(k)); got != 5 {
			t.Fatalf("the file has read seq %d after the flush, want 5", got)
		}
		if len(c.metas) != 0 || len(c.reads) != 0 {
			t.Fatalf("the flush left %d metas and %d receipts", len(c.metas), len(c.reads))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTxCacheOneTransaction: bursts of appends with receipts to one room
// in one open transaction, interleaved with other kinds of ops on it (a
// receipt, a hide that reads the room's meta) and with a bystander's
// room, leave each room as written one at a time: live, and replayed from
// the log after a crash before the commit. With the default
// InboxInterval the burst's moves in the inbox index are deferred; with a
// negative one every message moves its room.
func TestTxCacheOneTransaction(t *testing.T) {
	for _, interval := range []time.Duration{0, -1} {
		t.Run(fmt.Sprint("interval ", interval), func(t *testing.T) {
			opts := noApply
			opts.InboxInterval = interval
			testTxCacheOneTransaction(t, opts)
		})
	}
}

func testTxCacheOneTransaction(t *testing.T, opts Options) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chat.db")
	s := openStore(t, path, opts)
	appendRead := func(room, from string, seq, read uint64) {
		t.Helper()
		w := msg(room, from, seq)
		w.Read = &chat.Receipt{User: from, Seq: read}
		if _, dup, err := s.Append(ctx, w); err != nil || dup {
			t.Fatalf("append %s %d: dup %v, %v", room, seq, dup, err)
		}
	}
	for seq := uint64(1); seq <= 10; seq++ {
		appendRead("d1", "a", seq, seq)
	}
	appendRead("d1", "a", 11, 5) // a receipt that would move back: kept at 10
	send(t, s, "d2", 1, 3)       // the bystander
	if _, err := s.SetRead(ctx, "d1", "b", 4); err != nil {
		t.Fatal(err)
	}
	for seq := uint64(12); seq <= 21; seq++ {
		appendRead("d1", "b", seq, seq)
	}
	// Hiding reads the room's meta for its inbox key.
	if err := s.SetSettings(ctx, "d1", "b", chat.Settings{Hidden: true}); err != nil {
		t.Fatal(err)
	}

	check := func(name string, s *Store) {
		t.Helper()
		wantRoom(t, s, "d2", 3)
		st, err := s.State(ctx, "d1")
		if err != nil {
			t.Fatal(err)
		}
		if st.Head != 21 || st.Updated != 1021 {
			t.Fatalf("%s: d1 state head %d, updated %d; want 21, 1021", name, st.Head, st.Updated)
		}
		reads, err := s.Reads(ctx, "d1")
		if err != nil {
			t.Fatal(err)
		}
		if reads["a"] != 10 || reads["b"] != 21 || len(reads) != 2 {
			t.Fatalf("%s: d1 reads %v, want a 10, b 21", name, reads)
		}
		if st, err := s.State(ctx, "d2"); err != nil || st.Head != 3 {
			t.Fatalf("%s: d2 head %d, %v", name, st.Head, err)
		}
		h, err := s.History(ctx, "d1", 0, 30)
		if err != nil || len(h) != 21 {
			t.Fatalf("%s: d1 history of %d entries, %v", name, len(h), err)
		}
		for user, want := range map[string]string{"a": "d1 d2", "b": "d2"} {
			cs, err := s.Conversations(ctx, user, 10, 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range cs {
				got = append(got, c.Room)
			}
			slices.Sort(got)
			if strings.Join(got, " ") != want {
				t.Fatalf("%s: %s's inbox lists %v, want %s", name, user, got, want)
			}
		}
	}
	if n := s.Stats().Commits; n != 0 {
		t.Fatalf("%d commits before the reads: the ops were not in one transaction", n)
	}
	crashed := crashCopy(t, path) // the transaction is still open
	check("live", s)
	opts.ApplyDelay = 0
	check("replayed", openStore(t, crashed, opts))
}
