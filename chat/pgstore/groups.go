package pgstore

import (
	"context"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/internal/pgutil"
)

// sqlGroupsCreated counts the group records naming $1 as creator, from
// the partial index rooms_creator (migration 0002), whose condition it
// repeats word for word.
const sqlGroupsCreated = `SELECT count(*) FROM rooms
	WHERE kind = '` + chat.KindGroup + `' AND creator <> '' AND creator = $1`

// GroupsCreated implements chat.Store.
func (s *Store) GroupsCreated(ctx context.Context, user string) (int, error) {
	callCtx, cancel, err := s.call(ctx)
	if err != nil {
		return 0, err
	}
	defer cancel()
	if user == "" || !pgutil.Storable(user) {
		return 0, nil
	}
	var n int
	err = s.retry(callCtx, func() error {
		return s.pool.QueryRow(callCtx, sqlGroupsCreated, user).Scan(&n)
	})
	if err != nil {
		return 0, s.fail(ctx, err)
	}
	return n, nil
}
