package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/internal/pgutil"
)

// Users' settings per room (migration 0003). $1 is always the room, $2
// the user.
const (
	// sqlLockRoom takes a lock on the room for the rest of the
	// transaction. SetSettings and the appends that clear Hidden both
	// write a user's settings row and members row; taking it first
	// serializes them, so the two rows always agree (a row lock would
	// not do: the first append of a room creates the rows it locks).
	// The key is a hash of the schema and the room: another room that
	// shares it only waits a little.
	sqlLockRoom    = `SELECT pg_advisory_xact_lock(hashtextextended('parlor chat room ' || current_schema() || ' ' || $1, 0))`
	sqlPutSettings = `INSERT INTO settings (room, user_id, muted, hidden) VALUES ($1, $2, $3, $4)
		ON CONFLICT (room, user_id) DO UPDATE SET muted = EXCLUDED.muted, hidden = EXCLUDED.hidden`
	sqlDeleteSettings = `DELETE FROM settings WHERE room = $1 AND user_id = $2`
	// A member's row follows their Hidden: out of the inbox index while
	// it is set.
	sqlHideMember = `UPDATE members SET hidden = $3 WHERE room = $1 AND user_id = $2 AND hidden <> $3`
	// A message or members entry clears Hidden for every user of the
	// room; settings left zero go. The append's sqlOrderMembers puts the
	// members' rows back in the index.
	sqlUnhide = `WITH zero AS (DELETE FROM settings WHERE room = $1 AND hidden AND NOT muted)
		UPDATE settings SET hidden = false WHERE room = $1 AND hidden AND muted`
	sqlSettings = `SELECT user_id, muted, hidden FROM settings WHERE room = $1`
)

// SetSettings implements chat.Store. It writes the user's settings row
// and, if they are a member, their members row's hidden flag, in one
// transaction. A room or user id PostgreSQL cannot hold is refused with
// ErrUnstorable.
func (s *Store) SetSettings(ctx context.Context, roomID, user string, st chat.Settings) error {
	callCtx, cancel, err := s.call(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	if !pgutil.Storable(roomID) || !pgutil.Storable(user) {
		return ErrUnstorable
	}
	err = s.retry(callCtx, func() error {
		return pgx.BeginFunc(callCtx, s.pool, func(tx pgx.Tx) error {
			var b pgx.Batch
			b.Queue(sqlLockRoom, roomID)
			if st == (chat.Settings{}) {
				b.Queue(sqlDeleteSettings, roomID, user)
			} else {
				b.Queue(sqlPutSettings, roomID, user, st.Muted, st.Hidden)
			}
			b.Queue(sqlHideMember, roomID, user, st.Hidden)
			return tx.SendBatch(callCtx, &b).Close()
		})
	})
	return s.fail(ctx, err)
}

// Settings implements chat.Store.
func (s *Store) Settings(ctx context.Context, roomID string) (map[string]chat.Settings, error) {
	callCtx, cancel, err := s.call(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	out := make(map[string]chat.Settings)
	if !pgutil.Storable(roomID) {
		return out, nil
	}
	err = s.retry(callCtx, func() error {
		clear(out)
		rows, err := s.pool.Query(callCtx, sqlSettings, roomID)
		if err != nil {
			return err
		}
		var user string
		var st chat.Settings
		_, err = pgx.ForEachRow(rows, []any{&user, &st.Muted, &st.Hidden}, func() error {
			out[user] = st
			return nil
		})
		return err
	})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return out, nil
}
