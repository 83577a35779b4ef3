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
