package boltstore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestLogFailureWakesReads: a read of a match whose op is logged but not
// yet applied waits for the applier. When the log write of that op fails
// instead, the read returns with the store's failure at once, rather than
// waiting out its context for a commit that never comes (and holding up
// Close meanwhile).
func TestLogFailureWakesReads(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "games.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// As logBatch does before it writes: the match is pending at an op
	// the applier has not taken.
	s.mu.Lock()
	s.lsn++
	s.pending["m"] = &pend{lsn: s.lsn}
	s.mu.Unlock()
	got := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := s.Info(ctx, "m")
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
