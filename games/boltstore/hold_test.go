package boltstore

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	bolt "go.etcd.io/bbolt"

	"github.com/parlorhq/parlor/games"
)

// The tests of the moves the applier holds back (Options.MatchDelay):
// what the bbolt file has is read from it directly, without the reads'
// waits, which would force the held moves out.

// inFile reports whether the bbolt file itself has match id, and how many
// entries of its log.
func inFile(t *testing.T, s *Store, id string) (created bool, n int) {
	t.Helper()
	err := s.db.View(func(tx *bolt.Tx) error {
		created = tx.Bucket(bucketMatches).Get([]byte(id)) != nil
		log, err := entries(tx, id, 0, -1)
		n = len(log)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return created, n
}

// finish appends the game-over entry seq of match id, which ends it with
// a win for its first player, a.
func finish(t *testing.T, s *Store, id string, seq uint64) {
	t.Helper()
	g := games.FinishedGame{Kind: "games.tictactoe", Room: id, Players: []string{"a", "b"}, Result: games.Result{Winner: 0, Reason: "line"}, Ended: time.UnixMilli(int64(seq))}
	e := games.Entry{Seq: seq, Event: games.EventGameOver, Data: msgpack.RawMessage{0xc0}, At: int64(seq)}
	if err := s.Append(bg, games.Write{Match: id, Entries: []games.Entry{e}, Finished: &g}); err != nil {
		t.Fatal(err)
	}
}

// taken waits until the applier has taken every write logged so far.
func taken(t *testing.T, s *Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	if err := s.waitTaken(ctx, ""); err != nil {
		t.Fatal(err)
	}
}

// letThrough lets every transaction of s, opened with openHeld, through
// until the function it returns is called (before crash).
func letThrough(s *Store) (stop func()) {
	done := make(chan struct{})
	var feeder sync.WaitGroup
	feeder.Go(func() {
		for {
			select {
			case s.hold <- struct{}{}:
			case <-done:
				return
			}
		}
	})
	return func() {
		close(done)
		feeder.Wait()
	}
}

// openHold opens a store at a new path with opts, closed when the test
// ends.
func openHold(t *testing.T, opts Options) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "games.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestMatchDelayHoldsMoves: a match's moves stay out of the bbolt file
// (its creation does not) for at least half of MatchDelay, and then reach
// it with no other write to wake the applier.
func TestMatchDelayHoldsMoves(t *testing.T) {
	const delay = 300 * time.Millisecond
	s := openHold(t, Options{MatchDelay: delay, ApplyDelay: -1})
	play(t, s, "m1", 2)
	last := time.Now()
	taken(t, s)
	created, n := inFile(t, s, "m1")
	if !created {
		t.Fatal("the creation of m1 was held")
	}
	if n != 0 && time.Since(last) < delay/2 {
		t.Fatalf("%d moves of m1 applied before half of MatchDelay", n)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, n = inFile(t, s, "m1"); n != 2; _, n = inFile(t, s, "m1") {
		if time.Now().After(deadline) {
			t.Fatalf("m1 has %d moves in the bbolt file 10 s after its last, want 2", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFinishAppliesHeldMoves: a finished game's write brings its match's
// held moves into the bbolt file with it, at once; the history shows it
// without forcing out the moves of a match that goes on.
func TestFinishAppliesHeldMoves(t *testing.T) {
	s := openHold(t, Options{MatchDelay: time.Hour, ApplyDelay: -1})
	play(t, s, "m1", 3)
	play(t, s, "m2", 2)
	taken(t, s)
	if _, n := inFile(t, s, "m1"); n != 0 {
		t.Fatalf("m1 has %d moves in the bbolt file, want them held", n)
	}
	finish(t, s, "m1", 4)
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	got, err := s.Finished(ctx, "a", games.HistoryCursor{}, 10)
	if err != nil || len(got) != 1 || got[0].Room != "m1" {
		t.Fatalf("Finished: %+v, %v; want m1", got, err)
	}
	if _, n := inFile(t, s, "m1"); n != 4 {
		t.Fatalf("m1 has %d entries in the bbolt file after its end, want 4", n)
	}
	if _, n := inFile(t, s, "m2"); n != 0 {
		t.Fatalf("the history forced out %d moves of m2", n)
	}
	wantLog(t, s, "m2", 2) // a read of the match forces them
	if _, n := inFile(t, s, "m2"); n != 2 {
		t.Fatalf("m2 has %d moves in the bbolt file after Load, want 2", n)
	}
}

// TestHeldMovesDueByLogDistance: a held move is applied once the writer
// has logged a quarter of the log after it, however long MatchDelay is,
// before the log needs that half again.
func TestHeldMovesDueByLogDistance(t *testing.T) {
	s := openHold(t, Options{MatchDelay: time.Hour, ApplyDelay: -1, LogSize: 16 << 10})
	gen := s.gen
	play(t, s, "m1", 1)
	s.mu.Lock()
	from := s.loggedPos
	s.mu.Unlock()
	create(t, s, "m2")
	for seq := uint64(1); ; seq++ {
		taken(t, s)
		s.mu.Lock()
		gone := s.loggedPos - from
		s.mu.Unlock()
		if gone >= s.log.Size()/4 {
			break
		}
		if _, n := inFile(t, s, "m1"); n != 0 {
			t.Fatalf("m1's move applied after %d bytes of log", gone)
		}
		if err := s.Append(bg, games.Write{Match: "m2", Entries: []games.Entry{move(seq)}}); err != nil {
			t.Fatal(err)
		}
	}
	if s.gen != gen {
		t.Fatalf("generation %d, then %d: the log started again, which forces every move out", gen, s.gen)
	}
	if _, n := inFile(t, s, "m1"); n != 1 {
		t.Fatalf("m1 has %d moves in the bbolt file a quarter of the log later, want 1", n)
	}
}

// TestCrashWithHeldMoves: after a crash, the held moves are replayed from
// the log, and the writes logged after them that the bbolt file already
// had are not applied twice: every match is there once, as acked.
func TestCrashWithHeldMoves(t *testing.T) {
	path := filepath.Join(t.TempDir(), "games.db")
	s := openHeld(t, path, Options{MatchDelay: time.Hour, ApplyDelay: -1})
	stop := letThrough(s)
	play(t, s, "m1", 3) // held
	play(t, s, "m2", 2)
	finish(t, s, "m2", 3) // applied, after m1's moves in the log
	play(t, s, "m3", 1)   // held
	taken(t, s)
	if _, n := inFile(t, s, "m2"); n != 3 {
		t.Fatalf("m2 has %d entries in the bbolt file before the crash, want 3", n)
	}
	if _, n := inFile(t, s, "m1"); n != 0 {
		t.Fatalf("m1 has %d entries in the bbolt file before the crash, want them held", n)
	}
	stop()
	crash(t, s)

	s = reopen(t, path)
	wantLog(t, s, "m1", 3)
	wantLog(t, s, "m3", 1)
	_, log, err := s.Load(bg, "m2")
	if err != nil || len(log) != 3 {
		t.Fatalf("m2 after the restart: %d entries, %v; want 3", len(log), err)
	}
	got, err := s.Finished(bg, "a", games.HistoryCursor{}, 10)
	if err != nil || len(got) != 1 || got[0].Room != "m2" {
		t.Fatalf("Finished after the restart: %+v, %v; want m2 once", got, err)
	}
	if err := s.Append(bg, games.Write{Match: "m1", Entries: []games.Entry{move(3)}}); !errors.Is(err, games.ErrSeqConflict) {
		t.Fatalf("move 3 of m1 again after the restart: %v, want ErrSeqConflict", err)
	}
	if err := s.Append(bg, games.Write{Match: "m1", Entries: []games.Entry{move(4)}}); err != nil {
		t.Fatal(err)
	}
	wantLog(t, s, "m1", 4)
}

// TestReadForcesItsMatchOnly: Load of a match brings its held moves into
// the bbolt file and no other match's; Info, which reads the record only,
// brings none.
func TestReadForcesItsMatchOnly(t *testing.T) {
	s := openHold(t, Options{MatchDelay: time.Hour, ApplyDelay: -1})
	play(t, s, "m1", 2)
	play(t, s, "m2", 2)
	taken(t, s)
	if info, err := s.Info(bg, "m1"); err != nil || info.ID != "m1" {
		t.Fatalf("Info: %+v, %v", info, err)
	}
	if _, n := inFile(t, s, "m1"); n != 0 {
		t.Fatalf("Info of m1 forced out %d of its moves", n)
	}
	wantLog(t, s, "m1", 2)
	if _, n := inFile(t, s, "m1"); n != 2 {
		t.Fatalf("m1 has %d moves in the bbolt file after Load, want 2", n)
	}
	if _, n := inFile(t, s, "m2"); n != 0 {
		t.Fatalf("Load of m1 forced out %d moves of m2", n)
	}
}

// TestFinishOnlyWriteNotReplayed: a finished game written with no entries
// is applied with every write logged before it, so that a restart never
// replays it over a later finish of the same match that the bbolt file
// has (a replay cannot tell such a write applied from not).
func TestFinishOnlyWriteNotReplayed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "games.db")
	s := openHeld(t, path, Options{MatchDelay: time.Hour, ApplyDelay: -1})
	stop := letThrough(s)
	play(t, s, "m0", 1) // held, before everything below in the log
	create(t, s, "m1")
	g := games.FinishedGame{Kind: "games.tictactoe", Room: "m1", Players: []string{"a", "b"}, Ended: time.UnixMilli(1), Result: games.Result{Reason: "first"}}
	if err := s.Append(bg, games.Write{Match: "m1", Finished: &g}); err != nil {
		t.Fatal(err)
	}
	taken(t, s)
	g.Ended, g.Result.Reason = time.UnixMilli(2), "second"
	e := games.Entry{Seq: 1, Event: games.EventGameOver, Data: msgpack.RawMessage{0xc0}, At: 2}
	if err := s.Append(bg, games.Write{Match: "m1", Entries: []games.Entry{e}, Finished: &g}); err != nil {
		t.Fatal(err)
	}
	taken(t, s)
	stop()
	crash(t, s)

	s = reopen(t, path)
	got, err := s.Finished(bg, "a", games.HistoryCursor{}, 10)
	if err != nil || len(got) == 0 {
		t.Fatalf("Finished after the restart: %+v, %v", got, err)
	}
	for _, g := range got {
		if g.Room != "m1" || g.Result.Reason != "second" {
			t.Fatalf("after the restart the history has %s finished %q, want m1 as finished second", g.Room, g.Result.Reason)
		}
	}
	wantLog(t, s, "m0", 1)
}

// TestReadOfWriteBeingSyncedDoesNotSpin: a read of a match whose last
// write is still being synced (logged, its pending entry set, not yet the
// applier's) while other moves are held waits for that write without
// making the applier take and wake readers in a loop.
func TestReadOfWriteBeingSyncedDoesNotSpin(t *testing.T) {
	s := openHold(t, Options{MatchDelay: time.Hour, ApplyDelay: -1})
	play(t, s, "m1", 2)
	wantLog(t, s, "m1", 2) // applied: nothing of m1 pending
	play(t, s, "m2", 50)   // held
	taken(t, s)
	s.mu.Lock()
	s.pending["m1"] = &pend{head: 3, lsn: s.loggedLSN + 1} // as logBatch leaves it during the sync
	s.mu.Unlock()
	stop := make(chan struct{})
	var wakes atomic.Int64
	var counter sync.WaitGroup
	counter.Go(func() {
		for {
			s.mu.Lock()
			ch := s.appliedCh
			s.mu.Unlock()
			select {
			case <-ch:
				wakes.Add(1)
			case <-stop:
				return
			}
		}
	})
	ctx, cancel := context.WithTimeout(bg, 20*time.Millisecond)
	defer cancel()
	err := s.waitApplied(ctx, "m1")
	close(stop)
	counter.Wait()
	s.mu.Lock()
	delete(s.pending, "m1")
	s.mu.Unlock()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waitApplied for a write not logged yet: %v, want its context's deadline", err)
	}
	if n := wakes.Load(); n != 0 {
		t.Fatalf("the applier took %d times with nothing of m1 to apply", n)
	}
	if _, n := inFile(t, s, "m2"); n != 0 {
		t.Fatalf("the read of m1 forced out %d moves of m2", n)
	}
}

// TestInfoWaitsForItsMatchOnly: Info of a match with nothing pending
// answers from the bbolt file without cutting the applier's gathering
// short for other matches' writes; Info of a match just created waits for
// its creation.
func TestInfoWaitsForItsMatchOnly(t *testing.T) {
	s := openHold(t, Options{MatchDelay: time.Hour, ApplyDelay: time.Hour})
	play(t, s, "m1", 1)
	wantLog(t, s, "m1", 1) // applied: nothing of m1 pending
	create(t, s, "m2")
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	if info, err := s.Info(ctx, "m1"); err != nil || info.ID != "m1" {
		t.Fatalf("Info(m1): %+v, %v", info, err)
	}
	if created, _ := inFile(t, s, "m2"); created {
		t.Fatal("Info of m1 made the applier apply m2's creation before its ApplyDelay")
	}
	if info, err := s.Info(ctx, "m2"); err != nil || info.ID != "m2" {
		t.Fatalf("Info(m2) right after its creation: %+v, %v", info, err)
	}
}

// TestWantedEndsWithItsRead: a read of a match being written on and on
// brings out the moves it waits for, and the match's later moves are held
// again: the read does not leave the match applied at every take.
func TestWantedEndsWithItsRead(t *testing.T) {
	s := openHold(t, Options{MatchDelay: time.Hour, ApplyDelay: 20 * time.Millisecond})
	play(t, s, "m1", 20) // held
	const last = 127     // move(seq) is valid msgpack up to 127
	var writer sync.WaitGroup
	writer.Go(func() { // m1 written back to back, so that a write is often in the log's sync
		for seq := uint64(21); seq <= last; seq++ {
			if err := s.Append(bg, games.Write{Match: "m1", Entries: []games.Entry{move(seq)}}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	_, log, err := s.Load(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	writer.Wait()
	taken(t, s)
	if _, n := inFile(t, s, "m1"); n > len(log)+2 || n == last {
		t.Fatalf("the bbolt file has %d of m1's %d moves; the read waited for %d: the later moves were not held", n, last, len(log))
	}
}
