package pgstore

import (
	"context"
	"errors"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/internal/pgutil"
)

// Reads of one room. $1 is always the room.
const (
	sqlLookup = `SELECT e.write_id, ` + entryColumns + ` FROM entries e
		WHERE e.room = $1 AND e.from_user = $2 AND e.client_msg_id = $3 AND e.client_msg_id <> ''`
	sqlGet     = `SELECT e.write_id, ` + entryColumns + ` FROM entries e WHERE e.room = $1 AND e.seq = $2`
	sqlHistory = `SELECT ` + entryColumns + ` FROM entries e
		WHERE e.room = $1 AND e.seq < $2 ORDER BY e.seq DESC LIMIT $3`
	sqlRoom  = `SELECT kind, name, members, admins, created, creator FROM rooms WHERE id = $1`
	sqlState = `SELECT l.head, l.updated, ` + nullableEntryColumns + ` FROM logs l
		LEFT JOIN entries e ON e.room = l.room AND e.seq = l.last_msg
		WHERE l.room = $1`
	sqlGetRead = `SELECT seq FROM reads WHERE room = $1 AND user_id = $2`
	sqlReads   = `SELECT user_id, seq FROM reads WHERE room = $1`
	// The unread count walks the room's entries after the read seq in
	// primary key order and stops at the cap.
	sqlUnread = `SELECT count(*) FROM (
			SELECT FROM entries e
			WHERE e.room = $1 AND e.kind = 'message' AND NOT e.deleted AND e.from_user <> $2
				AND e.seq > coalesce((SELECT seq FROM reads WHERE room = $1 AND user_id = $2), 0)
			LIMIT $3) unread`
)

// Lookup implements chat.Store.
func (s *Store) Lookup(ctx context.Context, roomID, from, clientMsgID string) (chat.Message, error) {
	callCtx, cancel, err := s.call(ctx)
	if err != nil {
		return chat.Message{}, err
	}
	defer cancel()
	if clientMsgID == "" || !pgutil.Storable(roomID) || !pgutil.Storable(from) || !pgutil.Storable(clientMsgID) {
		return chat.Message{}, chat.ErrNotFound
	}
	var m chat.Message
	err = s.retry(callCtx, func() error {
		var lerr error
		m, _, lerr = s.lookup(callCtx, roomID, from, clientMsgID)
		return lerr
	})
	return m, s.fail(ctx, err)
}

// lookup finds the entry with a client message id, and the id of the
// write that stored it, or ErrNotFound.
func (s *Store) lookup(ctx context.Context, room, from, clientMsgID string) (chat.Message, int64, error) {
	return s.one(ctx, room, sqlLookup, room, from, clientMsgID)
}

// one returns the entry a query of write_id and entryColumns finds, and
// its write id, or ErrNotFound.
func (s *Store) one(ctx context.Context, room, sql string, args ...any) (chat.Message, int64, error) {
	m := chat.Message{Room: room}
	var writeID int64
	err := s.pool.QueryRow(ctx, sql, args...).Scan(append([]any{&writeID}, entryDest(&m)...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return chat.Message{}, 0, chat.ErrNotFound
	}
	if err != nil {
		return chat.Message{}, 0, err
	}
	return m, writeID, nil
}

// Get implements chat.Store.
func (s *Store) Get(ctx context.Context, roomID string, seq uint64) (chat.Message, error) {
	callCtx, cancel, err := s.call(ctx)
	if err != nil {
		return chat.Message{}, err
	}
	defer cancel()
	if !pgutil.Storable(roomID) || seq > math.MaxInt64 {
		return chat.Message{}, chat.ErrNotFound
	}
	var m chat.Message
	err = s.retry(callCtx, func() error {
		var gerr error
		m, _, gerr = s.one(callCtx, roomID, sqlGet, roomID, seq)
		return gerr
	})
	return m, s.fail(ctx, err)
}

// History implements chat.Store.
func (s *Store) History(ctx context.Context, roomID string, before uint64, limit int) ([]chat.Message, error) {
	callCtx, cancel, err := s.call(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	out := []chat.Message{}
	if limit <= 0 || !pgutil.Storable(roomID) {
		return out, nil
	}
	if before == 0 || before > math.MaxInt64 {
		before = math.MaxInt64
	}
	err = s.retry(callCtx, func() error {
		rows, err := s.pool.Query(callCtx, sqlHistory, roomID, before, limit)
		if err != nil {
			return err
		}
		out, err = scanEntries(rows, roomID, out[:0])
		return err
	})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// Room implements chat.Store.
func (s *Store) Room(ctx context.Context, roomID string) (chat.RoomInfo, error) {
	callCtx, cancel, err := s.call(ctx)
	if err != nil {
		return chat.RoomInfo{}, err
	}
	defer cancel()
	if !pgutil.Storable(roomID) {
		return chat.RoomInfo{}, chat.ErrNotFound
	}
	info := chat.RoomInfo{ID: roomID}
	err = s.retry(callCtx, func() error {
		return s.pool.QueryRow(callCtx, sqlRoom, roomID).Scan(&info.Kind, &info.Name, &info.Members, &info.Admins, &info.Created, &info.Creator)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return chat.RoomInfo{}, chat.ErrNotFound
	}
	if err != nil {
		return chat.RoomInfo{}, s.fail(ctx, err)
	}
	return info, nil
}

// State implements chat.Store.
func (s *Store) State(ctx context.Context, roomID string) (chat.LogState, error) {
	callCtx, cancel, err := s.call(ctx)
	if err != nil {
		return chat.LogState{}, err
	}
	defer cancel()
	if !pgutil.Storable(roomID) {
		return chat.LogState{}, nil
	}
	var st chat.LogState
	last := chat.Message{Room: roomID}
	err = s.retry(callCtx, func() error {
		return s.pool.QueryRow(callCtx, sqlState, roomID).Scan(append([]any{&st.Head, &st.Updated}, entryDest(&last)...)...)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return chat.LogState{}, nil
	}
	if err != nil {
		return chat.LogState{}, s.fail(ctx, err)
	}
	if last.Seq != 0 {
		st.Last = &last
	}
	return st, nil
}

// SetRead implements chat.Store.
func (s *Store) SetRead(ctx context.Context, roomID, user string, seq uint64) (uint64, error) {
	if !pgutil.Storable(roomID) || !pgutil.Storable(user) || seq > math.MaxInt64 {
		return 0, ErrUnstorable
	}
	callCtx, cancel, err := s.call(ctx)
	if err != nil {
		return 0, err
	}
	defer cancel()
	var out uint64
	err = s.retry(callCtx, func() error {
		if seq == 0 {
			return s.pool.QueryRow(callCtx, sqlGetRead, roomID, user).Scan(&out)
		}
		return s.pool.QueryRow(callCtx, sqlSetRead, roomID, user, seq).Scan(&out)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, s.fail(ctx, err)
	}
	return out, nil
}

// Reads implements chat.Store.
func (s *Store) Reads(ctx context.Context, roomID string) (map[string]uint64, error) {
	callCtx, cancel, err := s.call(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	out := make(map[string]uint64)
	if !pgutil.Storable(roomID) {
		return out, nil
	}
	err = s.retry(callCtx, func() error {
		clear(out)
		rows, err := s.pool.Query(callCtx, sqlReads, roomID)
		if err != nil {
			return err
		}
		var user string
		var seq uint64
		_, err = pgx.ForEachRow(rows, []any{&user, &seq}, func() error {
			out[user] = seq
			return nil
		})
		return err
	})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return out, nil
}

// Unread implements chat.Store.
func (s *Store) Unread(ctx context.Context, roomID, user string, max int) (int, error) {
	callCtx, cancel, err := s.call(ctx)
	if err != nil {
		return 0, err
	}
	defer cancel()
	if max <= 0 || !pgutil.Storable(roomID) || !pgutil.Storable(user) {
		return 0, nil
	}
	var n int
	err = s.retry(callCtx, func() error {
		return s.pool.QueryRow(callCtx, sqlUnread, roomID, user, max).Scan(&n)
	})
	if err != nil {
		return 0, s.fail(ctx, err)
	}
	return n, nil
}
