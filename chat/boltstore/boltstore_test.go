package boltstore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/boltstore"
	"github.com/parlorhq/parlor/chat/storetest"
	"github.com/parlorhq/parlor/codec"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func open(t *testing.T, path string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) chat.Store {
		return open(t, filepath.Join(t.TempDir(), "chat.db"))
	})
}

// TestContractEveryMove: the contract with every message moving its room
// in the inbox index (no deferred moves).
func TestContractEveryMove(t *testing.T) {
	storetest.Run(t, func(t *testing.T) chat.Store {
		s, err := boltstore.Open(filepath.Join(t.TempDir(), "chat.db"), boltstore.Options{InboxInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// encodedAppends is a Store whose Appends carry the entry's encoding, as
// the module's do, in a buffer the caller reuses once Append returns.
type encodedAppends struct{ *boltstore.Store }

func (s encodedAppends) Append(ctx context.Context, w chat.Write) (chat.Message, bool, error) {
	raw, err := codec.MarshalData(w.Entry)
	if err != nil {
		return chat.Message{}, false, err
	}
	w.Encoded = raw
	m, dup, err := s.Store.Append(ctx, w)
	clear(raw) // the store must have copied it
	return m, dup, err
}

// TestContractEncoded: the contract with every Append carrying the
// entry's encoding (chat.Write.Encoded), which the store keeps rather
// than encode the entry again.
func TestContractEncoded(t *testing.T) {
	storetest.Run(t, func(t *testing.T) chat.Store {
		return encodedAppends{open(t, filepath.Join(t.TempDir(), "chat.db"))}
	})
}

// TestReopen: everything written is there after the file is closed and
// opened again.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chat.db")
	s := open(t, path)
	info := &chat.RoomInfo{ID: "d", Kind: chat.KindDM, Members: []string{"a", "b"}, Created: 1}
	e := chat.Message{Room: "d", Seq: 1, ID: "x", Kind: chat.KindMessage, From: "a", Time: 2, Text: "hi", ClientMsgID: "c1"}
	if _, _, err := s.Append(ctx, chat.Write{Entry: e, Room: info, Read: &chat.Receipt{User: "a", Seq: 1}}); err != nil {
		t.Fatal(err)
	}
	epoch := s.Epoch()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	if s.Epoch() != epoch || epoch == "" {
		t.Fatalf("epoch after reopen %q, before %q", s.Epoch(), epoch)
	}
	if other := open(t, filepath.Join(t.TempDir(), "other.db")); other.Epoch() == epoch {
		t.Fatalf("a new file has the same epoch %q", epoch)
	}
	if got, err := s.Lookup(ctx, "d", "a", "c1"); err != nil || got.Text != "hi" || got.Room != "d" {
		t.Fatalf("Lookup after reopen: %+v, %v", got, err)
	}
	list, err := s.Conversations(ctx, "b", 10, 10)
	if err != nil || len(list) != 1 || list[0].Unread != 1 || list[0].With != "a" || list[0].Head != 1 {
		t.Fatalf("b's conversations after reopen: %+v, %v", list, err)
	}
	if reads, _ := s.Reads(ctx, "d"); reads["a"] != 1 {
		t.Fatalf("reads after reopen: %v", reads)
	}
	// The log continues where it stopped.
	if _, _, err := s.Append(ctx, chat.Write{Entry: chat.Message{Room: "d", Seq: 2, ID: "y", Kind: chat.KindMessage, From: "b", Time: 3, Text: "yo"}}); err != nil {
		t.Fatal(err)
	}
}

// TestLockedFile: a second Open of a file in use fails after LockTimeout
// instead of hanging.
func TestLockedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	open(t, path)
	if s, err := boltstore.Open(path, boltstore.Options{LockTimeout: 50 * time.Millisecond}); err == nil {
		_ = s.Close()
		t.Fatal("a second Open of the same file succeeded")
	}
}
