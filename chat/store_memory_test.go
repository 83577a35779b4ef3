package chat_test

import (
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/storetest"
)

func TestMemoryStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) chat.Store {
		s := chat.NewMemoryStore()
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// TestMemoryStoreEpochPerStore: every MemoryStore starts a new stream, so
// each has its own epoch.
func TestMemoryStoreEpochPerStore(t *testing.T) {
	a, b := chat.NewMemoryStore(), chat.NewMemoryStore()
	if a.Epoch() == "" || a.Epoch() == b.Epoch() {
		t.Fatalf("epochs %q and %q, want two different non-empty ones", a.Epoch(), b.Epoch())
	}
}
