package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/parlorhq/parlor/chat"
)

// sqlConversations is a user's inbox: $1 the user, $2 the limit (NULL:
// all), $3 the unread cap. It reads the user's members rows in inbox
// order from the members_inbox index and stops at the limit; for each
// one it looks up the room, its log row, its last message, the user's
// read seq (all by primary key) and counts unread entries, as Unread
// does, from the read seq on. Its cost grows with the limit, not with
// the user's number of conversations.
const sqlConversations = `SELECT r.id, r.kind, r.name, r.members, r.admins, r.created,
		coalesce(l.head, 0), coalesce(l.updated, 0), coalesce(rd.seq, 0), u.n,
		` + nullableEntryColumns + `
	FROM members m
	JOIN rooms r ON r.id = m.room
	LEFT JOIN logs l ON l.room = m.room
	LEFT JOIN entries e ON e.room = m.room AND e.seq = l.last_msg
	LEFT JOIN reads rd ON rd.room = m.room AND rd.user_id = m.user_id
	CROSS JOIN LATERAL (
		SELECT count(*) AS n FROM (
			SELECT FROM entries x
			WHERE x.room = m.room AND x.kind = 'message' AND NOT x.deleted AND x.from_user <> m.user_id
				AND x.seq > coalesce(rd.seq, 0)
			LIMIT $3) capped) u
	WHERE m.user_id = $1
	ORDER BY m.updated DESC, m.room
	LIMIT $2`

// Conversations implements chat.Store.
func (s *Store) Conversations(ctx context.Context, user string, limit, maxUnread int) ([]chat.Conversation, error) {
	callCtx, cancel, err := s.call(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	out := []chat.Conversation{}
	if !storable(user) {
		return out, nil
	}
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	err = s.retry(callCtx, func() error {
		out = out[:0]
		return s.conversations(callCtx, user, lim, max(maxUnread, 0), &out)
	})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	chat.SortConversations(out)
	return out, nil
}

// conversations runs sqlConversations and appends its rows to out.
func (s *Store) conversations(ctx context.Context, user string, limit *int, maxUnread int, out *[]chat.Conversation) error {
	rows, err := s.pool.Query(ctx, sqlConversations, user, limit, maxUnread)
	if err != nil {
		return err
	}
	var (
		info   chat.RoomInfo
		st     chat.LogState
		read   uint64
		unread int
		last   chat.Message
	)
	dest := append([]any{&info.ID, &info.Kind, &info.Name, &info.Members, &info.Admins, &info.Created,
		&st.Head, &st.Updated, &read, &unread}, entryDest(&last)...)
	_, err = pgx.ForEachRow(rows, dest, func() error {
		st.Last = nil
		if last.Seq != 0 {
			m := last.Clone()
			m.Room = info.ID
			st.Last = &m
		}
		*out = append(*out, chat.NewConversation(user, info, st, read, unread))
		return nil
	})
	return err
}
