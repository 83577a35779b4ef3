package boltcommit

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestWaitLimit: a transaction waits for more writes at most maxDelay,
// and never longer than the last commit took; zero or negative maxDelay
// never waits.
func TestWaitLimit(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct{ maxDelay, last, want time.Duration }{
		{2 * ms, 0, 0}, // no commit yet
		{2 * ms, 300 * time.Microsecond, 300 * time.Microsecond}, // a fast disk: the commit's time
		{2 * ms, 70 * ms, 2 * ms},                                // a slow commit: maxDelay
		{0, 70 * ms, 0},                                          // never wait
		{-1, 70 * ms, 0},                                         // never wait
	} {
		if got := waitLimit(c.maxDelay, c.last); got != c.want {
			t.Errorf("waitLimit(%v, %v) = %v, want %v", c.maxDelay, c.last, got, c.want)
		}
	}
}

// TestObserver: an observer is told about every committed write, with one
// queue time per write and a commit that covers its page writes and syncs.
func TestObserver(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "x.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	var seen []Commit
	w := NewObserved(db, 10, time.Millisecond, errors.New("closed"), func(c *Commit) {
		c.Queued, c.Waited = slices.Clone(c.Queued), slices.Clone(c.Waited)
		seen = append(seen, *c)
	})
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() {
			err := w.Write(context.Background(), func(tx *bolt.Tx) error {
				b, err := tx.CreateBucketIfNotExists([]byte("b"))
				if err != nil {
					return err
				}
				return b.Put([]byte{byte(i)}, []byte("v"))
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	writes := 0
	for _, c := range seen {
		writes += c.Writes
		if len(c.Queued) != c.Writes || len(c.Waited) != c.Writes || c.Err != nil {
			t.Errorf("commit %+v: want one queue and wait time per write", c)
		}
		if c.Pages < 2 || c.Write <= 0 || c.Commit < c.Write {
			t.Errorf("commit %+v: want page writes inside the commit's time", c)
		}
	}
	if writes != 5 {
		t.Fatalf("observed %d writes in %d commits, want 5", writes, len(seen))
	}
}
