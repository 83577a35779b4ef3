package boltstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/internal/wal"
)

// The write-ahead log's tests: a crash between the log's sync and the
// bbolt commit, a torn last record, a record with a bad CRC, a log that
// fills its halves and wraps, a write larger than the log, a write that
// fails beside a bystander's acked ones, and reads that must see acked
// writes at once.

// noApply keeps the bbolt transaction open for the whole test: only
// reads, a full half and Close commit it.
var noApply = Options{ApplyDelay: time.Hour}

// openStore opens the store at path, closed when the test ends.
func openStore(t *testing.T, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// crashCopy copies the bbolt file at path and its log, as a process
// killed now would leave them (the open transaction is not in the file:
// bbolt writes its pages only at commit), to a new folder, and returns
// the copy's path.
func crashCopy(t *testing.T, path string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "chat.db")
	for _, suffix := range []string{"", ".log"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// msg is the write of message seq of room from user, with a client
// message id, creating the room with the first.
func msg(room, from string, seq uint64) chat.Write {
	w := chat.Write{Entry: chat.Message{Room: room, Seq: seq, ID: fmt.Sprint(room, "-", seq), Kind: chat.KindMessage,
		From: from, Time: int64(1000 + seq), Text: fmt.Sprint("text ", seq), ClientMsgID: fmt.Sprint("c", seq)}}
	if seq == 1 {
		w.Room = &chat.RoomInfo{ID: room, Kind: chat.KindDM, Members: []string{"a", "b"}, Created: 1}
	}
	return w
}

// send appends messages from to to of room.
func send(t *testing.T, s *Store, room string, from, to uint64) {
	t.Helper()
	for seq := from; seq <= to; seq++ {
		if _, dup, err := s.Append(context.Background(), msg(room, "a", seq)); err != nil || dup {
			t.Fatalf("append %s %d: dup %v, %v", room, seq, dup, err)
		}
	}
}

// wantRoom checks that room holds messages 1 to n, once each, in order.
func wantRoom(t *testing.T, s *Store, room string, n uint64) {
	t.Helper()
	h, err := s.History(context.Background(), room, 0, int(n)+10)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(h)) != n {
		t.Fatalf("%s has %d entries, want %d", room, len(h), n)
	}
	for i, m := range h {
		if m.Seq != uint64(i+1) || m.Text != fmt.Sprint("text ", i+1) {
			t.Fatalf("%s entry %d: %+v", room, i, m)
		}
	}
}

// logRecords returns the offsets of the records of the first half of the
// log at path, and the offset after the last.
func logRecords(t *testing.T, path string) []int64 {
	t.Helper()
	f, err := os.Open(path + ".log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	var offs []int64
	for off := int64(0); ; {
		_, _, next, err := wal.ReadRecord(f, off, st.Size()/2)
		if errors.Is(err, wal.ErrEndOfLog) {
			return append(offs, off)
		}
		if err != nil {
			t.Fatal(err)
		}
		offs = append(offs, off)
		off = next
	}
}

// TestCrashBeforeCommit: writes acked (logged and synced) whose bbolt
// commit never happened are in the store after a restart, once, with
// their seqs; a retry with a client message id gets the stored entry;
// opening the store twice more changes nothing.
func TestCrashBeforeCommit(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chat.db")
	s := openStore(t, path, noApply)
	send(t, s, "d1", 1, 5)
	send(t, s, "d2", 1, 3)
	if st := s.Stats(); st.Commits != 0 || st.Writes != 8 {
		t.Fatalf("stats before the crash: %+v", st)
	}
	crashed := crashCopy(t, path)
	for range 3 {
		c := openStore(t, crashed, noApply)
		wantRoom(t, c, "d1", 5)
		wantRoom(t, c, "d2", 3)
		got, dup, err := c.Append(ctx, msg("d1", "a", 4)) // a retry of message 4
		if err != nil || !dup || got.Seq != 4 || got.Text != "text 4" {
			t.Fatalf("retry: %+v, dup %v, %v", got, dup, err)
		}
		if m, err := c.Lookup(ctx, "d2", "a", "c3"); err != nil || m.Seq != 3 {
			t.Fatalf("Lookup: %+v, %v", m, err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	c := openStore(t, crashed, Options{})
	send(t, c, "d1", 6, 6)
	wantRoom(t, c, "d1", 6)
}

// TestTornTail: a last record cut short is not replayed; the ones before
// it are.
func TestTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	s := openStore(t, path, noApply)
	send(t, s, "d1", 1, 4)
	crashed := crashCopy(t, path)
	offs := logRecords(t, crashed)
	if len(offs) != 5 {
		t.Fatalf("%d records, want 4", len(offs)-1)
	}
	f, err := os.OpenFile(crashed+".log", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The last record's second half never reached the disk.
	mid := (offs[3] + offs[4]) / 2
	if _, err := f.WriteAt(make([]byte, offs[4]-mid), mid); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	for range 2 {
		c := openStore(t, crashed, Options{})
		wantRoom(t, c, "d1", 3)
		_ = c.Close()
	}
	c := openStore(t, crashed, Options{})
	send(t, c, "d1", 4, 4) // seq 4 is free again: it was never acked
	wantRoom(t, c, "d1", 4)
}

// TestBadCRC: the scan stops at a record whose bytes do not match its
// CRC; the records after it are not replayed, then or at a later Open.
func TestBadCRC(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	s := openStore(t, path, noApply)
	send(t, s, "d1", 1, 5)
	crashed := crashCopy(t, path)
	offs := logRecords(t, crashed)
	f, err := os.OpenFile(crashed+".log", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	at := offs[2] + wal.FrameSize + 5 // in the payload of message 3
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, at); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x40
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	for range 2 {
		c := openStore(t, crashed, Options{})
		wantRoom(t, c, "d1", 2)
		_ = c.Close()
	}
}

// TestLogWraps: a log much smaller than what is written fills its halves
// in turn, committing the bbolt file at each switch; after a crash every
// acked write is there once.
func TestLogWraps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	opts := noApply
	opts.LogSize = 8 << 10
	s := openStore(t, path, opts)
	send(t, s, "d1", 1, 150)
	send(t, s, "d2", 1, 150)
	st := s.Stats()
	if st.Commits < 4 {
		t.Fatalf("%d commits for 300 writes in a log of 8 KiB, want one per half at least", st.Commits)
	}
	crashed := crashCopy(t, path)
	for range 2 {
		c := openStore(t, crashed, opts)
		wantRoom(t, c, "d1", 150)
		wantRoom(t, c, "d2", 150)
		_ = c.Close()
	}
}

// TestWriteLargerThanLog: a write whose record does not fit in half of
// the log is refused with ErrTooLarge; the store, and another user's
// writes before and after, are unaffected.
func TestWriteLargerThanLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	opts := noApply
	opts.LogSize = 4 << 10
	s := openStore(t, path, opts)
	send(t, s, "bystander", 1, 2)
	w := msg("big", "a", 1)
	w.Entry.Text = strings.Repeat("x", 3<<10)
	if _, _, err := s.Append(context.Background(), w); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("a write larger than half the log: %v", err)
	}
	send(t, s, "bystander", 3, 4)
	wantRoom(t, s, "bystander", 4)
	if h, err := s.History(context.Background(), "big", 0, 10); err != nil || len(h) != 0 {
		t.Fatalf("the refused room: %v, %v", h, err)
	}
	wantRoom(t, openStore(t, crashCopy(t, path), opts), "bystander", 4)
}

// TestFailedWriteBesideBystander: writes that fail (a client message id
// too long for a bbolt key, a seq conflict) are answered with their
// error and leave nothing; the bystander's acked writes around them stay,
// for reads now and after a crash.
func TestFailedWriteBesideBystander(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chat.db")
	s := openStore(t, path, noApply)
	send(t, s, "bystander", 1, 3)
	bad := msg("hostile", "h", 1)
	bad.Entry.ClientMsgID = strings.Repeat("k", 40<<10)
	if _, _, err := s.Append(ctx, bad); !errors.Is(err, ErrKeyTooLarge) {
		t.Fatalf("a client message id longer than a bbolt key: %v", err)
	}
	if _, _, err := s.Append(ctx, msg("bystander", "a", 9)); !errors.Is(err, chat.ErrSeqConflict) {
		t.Fatalf("a seq conflict: %v", err)
	}
	send(t, s, "bystander", 4, 5)
	crashed := crashCopy(t, path)
	wantRoom(t, s, "bystander", 5)
	if st, err := s.State(ctx, "hostile"); err != nil || st.Head != 0 {
		t.Fatalf("the failed room: %+v, %v", st, err)
	}
	c := openStore(t, crashed, Options{})
	wantRoom(t, c, "bystander", 5)
	if st, err := c.State(ctx, "hostile"); err != nil || st.Head != 0 {
		t.Fatalf("the failed room after a crash: %+v, %v", st, err)
	}
	send(t, c, "hostile", 1, 1) // the seq was never taken
}

// TestReadsSeeAckedWrites: every read sees the writes acked before it,
// though the bbolt transaction that holds them is not committed; a
// Lookup of an id no pending write stored, in a room with pending
// writes, does not wait for a commit.
func TestReadsSeeAckedWrites(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "chat.db"), noApply)
	send(t, s, "d1", 1, 2)
	if _, err := s.Lookup(ctx, "d1", "a", "other"); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("Lookup of an unknown id: %v", err)
	}
	if c := s.Stats().Commits; c != 0 {
		t.Fatalf("a Lookup of an unknown id committed (%d commits)", c)
	}
	if m, err := s.Lookup(ctx, "d1", "a", "c2"); err != nil || m.Seq != 2 {
		t.Fatalf("Lookup: %+v, %v", m, err)
	}
	before := s.Stats().Commits // the Lookup of c2 committed
	send(t, s, "d1", 3, 3)
	// A retry of a pending write gets the entry stored, not a new one.
	if m, dup, err := s.Append(ctx, msg("d1", "a", 3)); err != nil || !dup || m.Seq != 3 {
		t.Fatalf("a retry of a pending write: %+v, dup %v, %v", m, dup, err)
	}
	if _, _, err := s.Append(ctx, msg("d1", "a", 2)); err != nil {
		t.Fatalf("a retry of message 2: %v", err)
	}
	if c := s.Stats().Commits; c != before {
		t.Fatalf("writes and retries committed (%d commits, %d before)", c, before)
	}
	if m, err := s.Get(ctx, "d1", 3); err != nil || m.Text != "text 3" {
		t.Fatalf("Get: %+v, %v", m, err)
	}
	edit := chat.Write{Entry: chat.Message{Room: "d1", Seq: 4, ID: "e", Kind: chat.KindEdit, From: "a", Time: 2000, Target: 3, Text: "fixed"},
		Update: &chat.Message{Room: "d1", Seq: 3, ID: "d1-3", Kind: chat.KindMessage, From: "a", Time: 1003, Text: "fixed", ClientMsgID: "c3", Edited: 2000}}
	if _, _, err := s.Append(ctx, edit); err != nil {
		t.Fatal(err)
	}
	if m, err := s.Lookup(ctx, "d1", "a", "c3"); err != nil || m.Text != "fixed" {
		t.Fatalf("Lookup after an edit: %+v, %v", m, err)
	}
	send(t, s, "d2", 1, 1)
	if st, err := s.State(ctx, "d2"); err != nil || st.Head != 1 {
		t.Fatalf("State: %+v, %v", st, err)
	}
	if got, err := s.SetRead(ctx, "d2", "b", 1); err != nil || got != 1 {
		t.Fatalf("SetRead: %d, %v", got, err)
	}
	if got, err := s.SetRead(ctx, "d2", "b", 0); err != nil || got != 1 {
		t.Fatalf("SetRead backwards: %d, %v", got, err)
	}
	if r, err := s.Reads(ctx, "d2"); err != nil || r["b"] != 1 {
		t.Fatalf("Reads: %v, %v", r, err)
	}
	send(t, s, "d3", 1, 1)
	if list, err := s.Conversations(ctx, "b", 10, 10); err != nil || len(list) != 3 || list[2].Room != "d3" || list[2].Unread != 1 {
		t.Fatalf("Conversations: %+v, %v", list, err)
	}
}

// TestApplyDelayCommits: without reads, the applier commits the logged
// writes on its own once ApplyDelay has passed: then the bbolt file
// alone, without its log, has them.
func TestApplyDelayCommits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	s := openStore(t, path, Options{ApplyDelay: 20 * time.Millisecond})
	send(t, s, "d1", 1, 3)
	committed := func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.appliedLSN == s.loggedLSN
	}
	for deadline := time.Now().Add(10 * time.Second); !committed(); {
		if time.Now().After(deadline) {
			t.Fatal("the writes are not committed 10 s after them")
		}
		time.Sleep(5 * time.Millisecond)
	}
	crashed := crashCopy(t, path)
	if err := os.Remove(crashed + ".log"); err != nil {
		t.Fatal(err)
	}
	wantRoom(t, openStore(t, crashed, Options{}), "d1", 3)
}

// TestBacklog: with MaxBatchSize 1 the writer waits while two logged
// writes wait for the applier; many concurrent writers still all get
// their answers, and every write is stored.
func TestBacklog(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "chat.db"), Options{MaxBatchSize: 1})
	const rooms = 20
	errs := make(chan error, rooms)
	for i := range rooms {
		go func() {
			room := fmt.Sprint("r", i)
			for seq := uint64(1); seq <= 10; seq++ {
				if _, _, err := s.Append(context.Background(), msg(room, "a", seq)); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range rooms {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := range rooms {
		wantRoom(t, s, fmt.Sprint("r", i), 10)
	}
}
