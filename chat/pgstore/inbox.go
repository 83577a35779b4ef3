package pgstore

import (
	"context"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/internal/pgutil"
)

// sqlConversations is a page of a user's inbox: $1 the user, $2 the limit
// (NULL: all), $3 the unread cap, and $4, $5 the Updated and Room of the
// cursor the page starts after. It reads the user's members rows from the
// members_inbox index, in inbox order from the cursor on (the index
// range starts at updated $4; only rows tied with the cursor's time are
// filtered by room), and stops at the limit; hidden conversations are not
// in that index (its condition is NOT hidden), so they cost nothing. For
// each row it looks up the room, its log row, its last message, the
// user's read seq and settings (all by primary key) and counts unread
// entries, as Unread does, from the read seq on. Its cost grows with the page, not with the user's number of
// conversations nor with how deep in the inbox the page is. Room ids
// compare byte by byte (the "C" collation, as in the index), as
// chat.SortConversations compares them.
const sqlConversations = `SELECT r.id, r.kind, r.name, r.members, r.admins, r.created,
		coalesce(l.head, 0), coalesce(l.updated, 0), coalesce(rd.seq, 0), u.n, coalesce(st.muted, false),
		` + nullableEntryColumns + `
	FROM members m
	JOIN rooms r ON r.id = m.room
	LEFT JOIN logs l ON l.room = m.room
	LEFT JOIN entries e ON e.room = m.room AND e.seq = l.last_msg
	LEFT JOIN reads rd ON rd.room = m.room AND rd.user_id = m.user_id
	LEFT JOIN settings st ON st.room = m.room AND st.user_id = m.user_id
	CROSS JOIN LATERAL (
		SELECT count(*) AS n FROM (
			SELECT FROM entries x
			WHERE x.room = m.room AND x.kind = 'message' AND NOT x.deleted AND x.from_user <> m.user_id
				AND x.seq > coalesce(rd.seq, 0)
			LIMIT $3) capped) u
	WHERE m.user_id = $1 AND NOT m.hidden AND m.updated <= $4
		AND (m.updated < $4 OR m.room COLLATE "C" > $5)
	ORDER BY m.updated DESC, m.room COLLATE "C"
	LIMIT $2`

// Conversations implements chat.Store.
func (s *Store) Conversations(ctx context.Context, user string, limit, maxUnread int) ([]chat.Conversation, error) {
	return s.ConversationsBefore(ctx, user, chat.InboxCursor{}, limit, maxUnread)
}

// ConversationsBefore implements chat.Store. A cursor whose room id
// PostgreSQL cannot hold (a NUL byte, invalid UTF-8) is refused with
// ErrUnstorable: no room id is such a string.
func (s *Store) ConversationsBefore(ctx context.Context, user string, cursor chat.InboxCursor, limit, maxUnread int) ([]chat.Conversation, error) {
	callCtx, cancel, err := s.call(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	out := []chat.Conversation{}
	if !pgutil.Storable(cursor.Room) {
		return nil, ErrUnstorable
	}
	if !pgutil.Storable(user) {
		return out, nil
	}
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	if cursor.IsZero() {
		// The top of the inbox: every conversation comes after
		// (MaxInt64, ""), since no room id is empty.
		cursor.Updated = math.MaxInt64
	}
	err = s.retry(callCtx, func() error {
		out = out[:0]
		return s.conversations(callCtx, user, lim, max(maxUnread, 0), cursor, &out)
	})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	chat.SortConversations(out)
	return out, nil
}

// conversations runs sqlConversations and appends its rows to out.
func (s *Store) conversations(ctx context.Context, user string, limit *int, maxUnread int, cursor chat.InboxCursor, out *[]chat.Conversation) error {
	rows, err := s.pool.Query(ctx, sqlConversations, user, limit, maxUnread, cursor.Updated, cursor.Room)
	if err != nil {
		return err
	}
	var (
		info   chat.RoomInfo
		st     chat.LogState
		read   uint64
		unread int
		muted  bool
		last   chat.Message
	)
	dest := append([]any{&info.ID, &info.Kind, &info.Name, &info.Members, &info.Admins, &info.Created,
		&st.Head, &st.Updated, &read, &unread, &muted}, entryDest(&last)...)
	_, err = pgx.ForEachRow(rows, dest, func() error {
		st.Last = nil
		if last.Seq != 0 {
			m := last.Clone()
			m.Room = info.ID
			st.Last = &m
		}
		c := chat.NewConversation(user, info, st, read, unread)
		c.Muted = muted
		*out = append(*out, c)
		return nil
	})
	return err
}
