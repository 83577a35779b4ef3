package pgutil_test

import (
	"errors"
	"testing"

	chatpg "github.com/parlorhq/parlor/chat/pgstore"
	gamespg "github.com/parlorhq/parlor/games/pgstore"
	"github.com/parlorhq/parlor/internal/pgutil"
)

// TestStoresKeepTheirOwnErrors: the two stores share this package's code
// but not their sentinels: an error of one is never one of the other's.
func TestStoresKeepTheirOwnErrors(t *testing.T) {
	for _, pair := range [][2]error{
		{chatpg.ErrUnavailable, gamespg.ErrUnavailable},
		{chatpg.ErrUnstorable, gamespg.ErrUnstorable},
	} {
		if errors.Is(pair[0], pair[1]) || errors.Is(pair[1], pair[0]) {
			t.Errorf("%v and %v are one error", pair[0], pair[1])
		}
	}
}

// TestStoresKeepTheirOwnLocks: the stores' migration locks differ, even
// on one schema name.
func TestStoresKeepTheirOwnLocks(t *testing.T) {
	for _, schema := range []string{chatpg.DefaultSchema, gamespg.DefaultSchema} {
		if pgutil.LockKey("chat/pgstore", schema) == pgutil.LockKey("games/pgstore", schema) {
			t.Errorf("one lock key for both stores on schema %s", schema)
		}
	}
}
