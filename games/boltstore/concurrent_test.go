package boltstore

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/parlorhq/parlor/games"
)

// TestConcurrentCrash: matches written at once, in batches of many
// writes, are all there after a crash that left the bbolt file without
// any of them.
func TestConcurrentCrash(t *testing.T) {
	const matches, moves = 40, 15
	path := filepath.Join(t.TempDir(), "games.db")
	s := openHeld(t, path, Options{})
	var wg sync.WaitGroup
	for i := range matches {
		wg.Go(func() { playFrom(t, s, fmt.Sprintf("m%d", i), moves) })
	}
	wg.Wait()
	crash(t, s)
	s = reopen(t, path)
	for i := range matches {
		wantLog(t, s, fmt.Sprintf("m%d", i), moves)
	}
}

// TestConcurrentLogWraps: the same in a log that fills and starts again
// many times meanwhile, waiting for the bbolt file each time.
func TestConcurrentLogWraps(t *testing.T) {
	const matches, moves = 20, 30
	path := filepath.Join(t.TempDir(), "games.db")
	s, err := Open(path, Options{LogSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range matches {
		wg.Go(func() { playFrom(t, s, fmt.Sprintf("m%d", i), moves) })
	}
	wg.Wait()
	if s.gen < 3 {
		t.Fatalf("generation %d: the log did not start again", s.gen)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, path)
	for i := range matches {
		wantLog(t, s, fmt.Sprintf("m%d", i), moves)
	}
}

// playFrom is play for a goroutine other than the test's: it reports a
// failure with t.Error and stops.
func playFrom(t *testing.T, s *Store, id string, n int) {
	if err := s.Create(bg, games.MatchInfo{ID: id, Kind: "games.tictactoe", Players: []string{"a", "b"}, Epoch: "e"}); err != nil {
		t.Error(err)
		return
	}
	for seq := uint64(1); seq <= uint64(n); seq++ {
		if err := s.Append(bg, games.Write{Match: id, Entries: []games.Entry{move(seq)}}); err != nil {
			t.Errorf("%s move %d: %v", id, seq, err)
			return
		}
	}
}
