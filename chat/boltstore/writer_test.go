package boltstore

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/parlorhq/parlor/chat"
)

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
