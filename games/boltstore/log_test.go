package boltstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/parlorhq/parlor/games"
)

// The write-ahead log's own tests: a crash between the log's sync and the
// bbolt file's commit, a torn last record, a record with a bad CRC, a log
// that fills and starts again, and reopening twice.

// openHeld opens a store whose applier waits before each transaction
// until crash, so that what it logs never reaches the bbolt file.
func openHeld(t *testing.T, path string, opts Options) *Store {
	t.Helper()
	s, err := open(path, opts, make(chan struct{}))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// crash stops s as a killed process would: what is logged stays in the
// log, the bbolt file gets nothing more, and nothing is cleaned up.
func crash(t *testing.T, s *Store) {
	t.Helper()
	s.cmu.Lock()
	s.closed = true
	close(s.queue)
	s.cmu.Unlock()
	<-s.logged
	_ = s.log.close()
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
	// The applier, waiting on hold or holding moves back, now finds the
	// file closed and exits.
	close(s.hold)
	s.mu.Lock()
	s.stopApply = true
	s.mu.Unlock()
	s.wakeApplier()
	<-s.applyDone
}

// reopen opens the store at path, closed when the test ends.
func reopen(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

var bg = context.Background()

// move is the entry of ply seq.
func move(seq uint64) games.Entry {
	return games.Entry{Seq: seq, Event: games.EventMoved, Data: msgpack.RawMessage{0x90}, At: int64(seq), Move: msgpack.RawMessage{byte(seq)}}
}

// create creates the tic-tac-toe match id of players a and b.
func create(t *testing.T, s *Store, id string) {
	t.Helper()
	if err := s.Create(bg, games.MatchInfo{ID: id, Kind: "games.tictactoe", Players: []string{"a", "b"}, Epoch: "e"}); err != nil {
		t.Fatal(err)
	}
}

// play creates match id and appends moves 1 to n, one write each.
func play(t *testing.T, s *Store, id string, n int) {
	t.Helper()
	create(t, s, id)
	for seq := uint64(1); seq <= uint64(n); seq++ {
		if err := s.Append(bg, games.Write{Match: id, Entries: []games.Entry{move(seq)}}); err != nil {
			t.Fatal(err)
		}
	}
}

// wantLog checks that match id is stored with moves 1 to n.
func wantLog(t *testing.T, s *Store, id string, n int) {
	t.Helper()
	_, log, err := s.Load(bg, id)
	if err != nil {
		t.Fatalf("Load %s: %v", id, err)
	}
	if len(log) != n {
		t.Fatalf("%s has %d entries, want %d", id, len(log), n)
	}
	for i, e := range log {
		if e.Seq != uint64(i+1) || e.Move[0] != byte(i+1) {
			t.Fatalf("%s entry %d: %+v", id, i, e)
		}
	}
}

// records returns the offsets of the records of the log's first
// generation (in its first half), and the offset after the last.
func records(t *testing.T, path string) []int64 {
	t.Helper()
	f, err := os.Open(path + ".log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	l := &logFile{f: f, size: st.Size()}
	var offs []int64
	var first uint64
	for off := int64(0); ; {
		g, _, next, err := l.readRecord(f, off, st.Size()/2)
		if errors.Is(err, errEndOfLog) || (err == nil && len(offs) > 0 && g != first) {
			return append(offs, off)
		}
		if err != nil {
			t.Fatal(err)
		}
		first = g
		offs = append(offs, off)
		off = next
	}
}

// TestCrashBeforeApply: writes acked (logged and synced) whose bbolt
// commit never happened are in the store after a restart, once; the
// store takes the next move, and opening it twice more changes nothing.
func TestCrashBeforeApply(t *testing.T) {
	path := filepath.Join(t.TempDir(), "games.db")
	s := openHeld(t, path, Options{})
	play(t, s, "m1", 5)
	play(t, s, "m2", 3)
	crash(t, s)

	for range 2 {
		s = reopen(t, path)
		wantLog(t, s, "m1", 5)
		wantLog(t, s, "m2", 3)
		if err := s.Append(bg, games.Write{Match: "m1", Entries: []games.Entry{move(5)}}); !errors.Is(err, games.ErrSeqConflict) {
			t.Fatalf("move 5 again after the restart: %v, want ErrSeqConflict", err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	s = reopen(t, path)
	if err := s.Append(bg, games.Write{Match: "m1", Entries: []games.Entry{move(6)}}); err != nil {
		t.Fatal(err)
	}
	wantLog(t, s, "m1", 6)
}

// TestTornTail: a last record cut short (a crash in the middle of its
// write) is dropped, and the store goes on from the one before it.
func TestTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "games.db")
	s := openHeld(t, path, Options{})
	play(t, s, "m1", 4)
	crash(t, s)
	offs := records(t, path)
	if len(offs) != 6 { // create, 4 moves, end
		t.Fatalf("record offsets %v, want 5 records", offs)
	}
	last, end := offs[4], offs[5]
	tearFrom := last + (end-last)/2
	f, err := os.OpenFile(path+".log", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(make([]byte, end-tearFrom), tearFrom); err != nil {
		t.Fatal(err)
	}
	f.Close()

	s = reopen(t, path)
	wantLog(t, s, "m1", 3)
	if err := s.Append(bg, games.Write{Match: "m1", Entries: []games.Entry{move(4)}}); err != nil {
		t.Fatalf("move 4 again after the torn one: %v", err)
	}
	wantLog(t, s, "m1", 4)
}

// TestBadCRC: the scan stops at a record whose bytes do not match its
// CRC; the records after it are not replayed, then or at a later Open.
func TestBadCRC(t *testing.T) {
	path := filepath.Join(t.TempDir(), "games.db")
	s := openHeld(t, path, Options{})
	play(t, s, "m1", 4)
	crash(t, s)
	offs := records(t, path)
	f, err := os.OpenFile(path+".log", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	at := offs[3] + frameSize + 3 // in the payload of move 3
	if _, err := f.ReadAt(b, at); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x40
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
	f.Close()

	s = reopen(t, path)
	wantLog(t, s, "m1", 2)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, path)
	wantLog(t, s, "m1", 2)
	if err := s.Append(bg, games.Write{Match: "m1", Entries: []games.Entry{move(3)}}); err != nil {
		t.Fatal(err)
	}
	wantLog(t, s, "m1", 3)
}

// TestLogWraps: a log far smaller than the writes starts again from the
// top many times (waiting for the bbolt file when full), and every write
// is there after a crash and after a clean close.
func TestLogWraps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "games.db")
	s, err := Open(path, Options{LogSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	play(t, s, "m1", 60)
	if s.gen < 3 {
		t.Fatalf("generation %d after 60 moves in a 1 KiB log: it did not start again", s.gen)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openHeld(t, path, Options{LogSize: 1024})
	if err := s.Append(bg, games.Write{Match: "m1", Entries: []games.Entry{move(61)}}); err != nil {
		t.Fatal(err)
	}
	crash(t, s)
	s = reopen(t, path)
	wantLog(t, s, "m1", 61)
}

// TestCrashInSecondHalf: with the bbolt file far behind, the log fills
// its first half and goes on in the second with the next generation;
// after a crash both generations are replayed, in order.
func TestCrashInSecondHalf(t *testing.T) {
	path := filepath.Join(t.TempDir(), "games.db")
	s := openHeld(t, path, Options{LogSize: 1024})
	play(t, s, "m1", 8)
	crash(t, s)
	if s.gen != 2 || s.half != 1 {
		t.Fatalf("generation %d in half %d after 9 records in a 1 KiB log, want 2 in half 1", s.gen, s.half)
	}
	s = reopen(t, path)
	wantLog(t, s, "m1", 8)
}

// TestTooLarge: a write larger than the whole log is refused, and the
// store goes on, for its match and another one.
func TestTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "games.db")
	s, err := Open(path, Options{LogSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	play(t, s, "m1", 1)
	play(t, s, "other", 2)
	big := move(2)
	big.Data = make(msgpack.RawMessage, 2048)
	if err := s.Append(bg, games.Write{Match: "m1", Entries: []games.Entry{big}}); !errors.Is(err, errTooLarge) {
		t.Fatalf("a 2 KiB write to a 1 KiB log: %v, want errTooLarge", err)
	}
	if err := s.Append(bg, games.Write{Match: "m1", Entries: []games.Entry{move(2)}}); err != nil {
		t.Fatal(err)
	}
	wantLog(t, s, "m1", 2)
	wantLog(t, s, "other", 2)
}

// TestReadHurriesApply: with an ApplyDelay of an hour, a read of a match
// with writes not yet applied gets them at once, and so do reads of all
// matches (Waiting, Finished).
func TestReadHurriesApply(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "games.db"), Options{ApplyDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx, cancel := context.WithTimeout(bg, 5*time.Second)
	defer cancel()
	play(t, s, "m1", 2)
	if _, log, err := s.Load(ctx, "m1"); err != nil || len(log) != 2 {
		t.Fatalf("Load: %d entries, %v", len(log), err)
	}
	if err := s.Create(bg, games.MatchInfo{ID: "m2", Kind: "k", Players: []string{"a", "b"}}); err != nil {
		t.Fatal(err)
	}
	if w, err := s.Waiting(ctx, "k", 0, 10); err != nil || len(w) != 1 {
		t.Fatalf("Waiting: %+v, %v", w, err)
	}
}

// TestObserve: the observer sees every logged write in a batch, with one
// queue time per write taken and the log's write and sync timed; each
// logged write reports once how long its answer took to reach it.
func TestObserve(t *testing.T) {
	var batches []Batch
	var answers atomic.Int64
	s, err := Open(filepath.Join(t.TempDir(), "games.db"), Options{Observe: func(b *Batch) {
		c := *b
		c.Queued = slices.Clone(b.Queued)
		batches = append(batches, c)
	}, ObserveAnswer: func(d time.Duration) {
		if d >= 0 {
			answers.Add(1)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	play(t, s, "m1", 3)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	writes := 0
	for _, b := range batches {
		writes += b.Writes
		if len(b.Queued) != b.Writes || b.Bytes <= frameSize || b.Sync <= 0 || b.Err != nil {
			t.Errorf("batch %+v", b)
		}
	}
	if writes != 4 {
		t.Fatalf("%d writes observed in %d batches, want 4 (a create and 3 moves)", writes, len(batches))
	}
	if n := answers.Load(); n != 4 {
		t.Fatalf("%d answers observed, want 4", n)
	}
}

// TestLogFails: a write whose log write fails is answered with the error;
// the store then takes no more writes, for any match, and the writes
// acked before are all there when it is opened again.
func TestLogFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "games.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	play(t, s, "m1", 2)
	play(t, s, "other", 1)
	_ = s.log.f.Close() // the next write to the log fails
	if err := s.Append(bg, games.Write{Match: "m1", Entries: []games.Entry{move(3)}}); err == nil {
		t.Fatal("a move whose log write failed was acked")
	}
	if err := s.Append(bg, games.Write{Match: "other", Entries: []games.Entry{move(2)}}); err == nil {
		t.Fatal("a write after the log failed was acked")
	}
	_ = s.Close()
	s = reopen(t, path)
	wantLog(t, s, "m1", 2)
	wantLog(t, s, "other", 1)
}

// TestFinishOnlyWriteKeepsHead: a finished game written with no entries
// to a match the bbolt file has as it stands leaves the match's head
// where it was: the seq after it is taken, the one before refused.
func TestFinishOnlyWriteKeepsHead(t *testing.T) {
	s := openHold(t, Options{MatchDelay: -1, ApplyDelay: time.Hour})
	play(t, s, "m1", 1)
	wantLog(t, s, "m1", 1) // applied: nothing of m1 is pending
	g := games.FinishedGame{Kind: "games.tictactoe", Room: "m1", Players: []string{"a", "b"}, Ended: time.UnixMilli(5)}
	if err := s.Append(bg, games.Write{Match: "m1", Finished: &g}); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(bg, games.Write{Match: "m1", Entries: []games.Entry{move(1)}}); !errors.Is(err, games.ErrSeqConflict) {
		t.Fatalf("move 1 again: %v, want ErrSeqConflict", err)
	}
	if err := s.Append(bg, games.Write{Match: "m1", Entries: []games.Entry{move(2)}}); err != nil {
		t.Fatalf("move 2: %v", err)
	}
	wantLog(t, s, "m1", 2)
}
