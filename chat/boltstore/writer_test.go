package boltstore

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	bolt "go.etcd.io/bbolt"
)

// TestGroupCommit: the writes that queue while a transaction is being
// committed share the next transaction; a failing write is answered with
// its error and the others still commit.
func TestGroupCommit(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "chat.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()

	// Hold the writer inside a transaction.
	release := make(chan struct{})
	held := make(chan struct{})
	go func() {
		_ = s.write(ctx, func(*bolt.Tx) error {
			select {
			case <-held:
			default:
				close(held)
			}
			<-release
			return nil
		})
	}()
	<-held

	const writers = 40
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			room := fmt.Sprint("r", i)
			seq := uint64(1)
			if i == 7 {
				seq = 5 // fails: the log is empty
			}
			e := chat.Message{Room: room, Seq: seq, ID: room, Kind: chat.KindMessage, From: "a", Time: 1, Text: "x"}
			_, _, errs[i] = s.Append(ctx, chat.Write{Entry: e})
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.w.Queued() < writers {
		if time.Now().After(deadline) {
			t.Fatalf("%d writes queued, want %d", s.w.Queued(), writers)
		}
		time.Sleep(time.Millisecond)
	}
	before := s.Stats()
	close(release)
	wg.Wait()
	for i, err := range errs {
		if (i == 7) != (err != nil) {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	st := s.Stats()
	if got := st.Commits - before.Commits; got != 2 { // the held one, then the rest together
		t.Fatalf("%d commits after the hold, want 2 (%+v)", got, st)
	}
	if st.Writes != writers { // the held write, and 39 good appends
		t.Fatalf("%d writes counted, want %d", st.Writes, writers)
	}
	if st.Pages <= before.Pages { // the appends changed pages of the log
		t.Fatalf("pages written: %d before the appends, %d after", before.Pages, st.Pages)
	}
}

// TestCloseCommitsQueued: Close commits what was queued before it and
// refuses what comes after.
func TestCloseCommitsQueued(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			room := fmt.Sprint("r", i)
			e := chat.Message{Room: room, Seq: 1, ID: room, Kind: chat.KindMessage, From: "a", Time: 1, Text: "x"}
			if _, _, err := s.Append(ctx, chat.Write{Entry: e}); err != nil && err != chat.ErrStoreClosed {
				t.Error(err)
			}
		}()
	}
	_ = s.Close()
	wg.Wait()
	written := s.Stats().Writes
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	found := uint64(0)
	for i := range 20 {
		if st, _ := s.State(ctx, fmt.Sprint("r", i)); st.Head == 1 {
			found++
		}
	}
	if found != written {
		t.Fatalf("%d rooms stored after reopening, %d writes acknowledged", found, written)
	}
}
