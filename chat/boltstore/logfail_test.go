package boltstore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestLogFailureWakesReads: a read of a room with ops logged and not yet
// committed waits for the writer's commit. When the log fails meanwhile
// (a later batch's write), the applier commits nothing more, and the read
// must return with the store's failure at once, not wait out its context.
func TestLogFailureWakesReads(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "chat.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// An op of the room logged and not committed, as the writer leaves it
	// between its sync and the applier's commit.
	s.mu.Lock()
	s.loggedLSN++
	s.dirty[s.roomKey("r")] = s.loggedLSN
	s.mu.Unlock()
	got := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := s.Room(ctx, "r")
		got <- err
	}()
	time.Sleep(50 * time.Millisecond) // the read waits
	failure := errors.New("the disk is gone")
	s.mu.Lock()
	s.failLogLocked(failure)
	s.mu.Unlock()
	select {
	case err := <-got:
		if !errors.Is(err, failure) {
			t.Fatalf("the read returned %v, want the log's failure", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the read still waits after the log failed")
	}
}
