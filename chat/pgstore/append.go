package pgstore

import (
	"context"
	"errors"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/internal/pgutil"
)

// The statements of an append, in the order Append sends them. $1 is
// always the room.
const (
	// A room's first entry creates its log row; if another writer did
	// first, nothing is inserted: a seq conflict.
	sqlStartLog = `INSERT INTO logs (room, head, last_msg, updated) VALUES ($1, 1, $2, $3)
		ON CONFLICT (room) DO NOTHING`
	// Later entries move the head from seq - 1 to seq. The row lock
	// orders writers of one room; a writer that waited finds the head
	// moved and updates nothing: a seq conflict.
	sqlAdvanceLog = `UPDATE logs SET head = $2,
			last_msg = CASE WHEN $3 THEN $2 ELSE last_msg END,
			updated = CASE WHEN $4 THEN $5 ELSE updated END
		WHERE room = $1 AND head + 1 = $2`
	sqlUpdateEntry = `UPDATE entries SET id = $3, kind = $4, from_user = $5, time = $6, text = $7,
			client_msg_id = $8, target = $9, edited = $10, deleted = $11, added = $12,
			removed = $13, admins = $14, name = $15, game = $16
		WHERE room = $1 AND seq = $2`
	sqlPutRoom = `INSERT INTO rooms (id, kind, name, members, admins, created, creator)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name,
			members = EXCLUDED.members, admins = EXCLUDED.admins, created = EXCLUDED.created,
			creator = EXCLUDED.creator`
	sqlDropMembers = `DELETE FROM members WHERE room = $1 AND user_id <> ALL ($2::text[])`
	// A member who comes back finds their Hidden in settings.
	sqlAddMembers = `INSERT INTO members (user_id, room, hidden)
		SELECT u, $1, coalesce(st.hidden, false) FROM unnest($2::text[]) AS u
		LEFT JOIN settings st ON st.room = $1 AND st.user_id = u
		ON CONFLICT (user_id, room) DO NOTHING`
	sqlInsertEntry = `INSERT INTO entries (room, seq, id, kind, from_user, time, text, client_msg_id,
			target, edited, deleted, added, removed, admins, name, game, write_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`
	sqlSetRead = `INSERT INTO reads (room, user_id, seq) VALUES ($1, $2, $3)
		ON CONFLICT (room, user_id) DO UPDATE SET seq = greatest(reads.seq, EXCLUDED.seq)
		RETURNING seq`
	// The members' inbox order key follows the log's updated time, or
	// the room's creation time while it has none. An entry that moves
	// Updated ($2) also lists the room again for members who hid it,
	// even if their order key stays.
	sqlOrderMembers = `UPDATE members m
		SET updated = CASE WHEN l.updated <> 0 THEN l.updated ELSE r.created END,
			hidden = m.hidden AND NOT $2
		FROM rooms r, logs l
		WHERE m.room = $1 AND r.id = $1 AND l.room = $1
			AND (m.updated <> CASE WHEN l.updated <> 0 THEN l.updated ELSE r.created END
				OR (m.hidden AND $2))`
)

// Append implements chat.Store. It checks for a stored entry with the
// client message id first, then appends in one transaction.
//
// A lost connection is retried once. The first try may have been stored
// before its connection died: each call stores a random write id with its
// entry, and a retry that finds its own write id (under the client
// message id, or at the seq) reports the entry as stored, not as a
// duplicate or a conflict. So an entry is never stored twice nor acked
// unstored; if the retry fails too, Append returns ErrUnavailable.
func (s *Store) Append(ctx context.Context, w chat.Write) (chat.Message, bool, error) {
	e := w.Entry
	if e.Room == "" {
		return chat.Message{}, false, errors.New("pgstore: entry has no room id")
	}
	if w.Room != nil && w.Room.ID != e.Room {
		return chat.Message{}, false, errors.New("pgstore: room record is for another room")
	}
	if !writeStorable(&w) {
		return chat.Message{}, false, ErrUnstorable
	}
	callCtx, cancel, err := s.call(ctx)
	if err != nil {
		return chat.Message{}, false, err
	}
	defer cancel()
	var out chat.Message
	var dup bool
	writeID := pgutil.NewWriteID()
	err = s.retry(callCtx, func() error {
		var aerr error
		out, dup, aerr = s.append(callCtx, &w, writeID)
		return aerr
	})
	if err != nil {
		return chat.Message{}, false, s.fail(ctx, err)
	}
	return out, dup, nil
}

// append is one try of Append.
func (s *Store) append(ctx context.Context, w *chat.Write, writeID int64) (chat.Message, bool, error) {
	e := &w.Entry
	if e.ClientMsgID != "" {
		m, mid, err := s.lookup(ctx, e.Room, e.From, e.ClientMsgID)
		if err == nil {
			return found(m, mid, e, writeID)
		}
		if !errors.Is(err, chat.ErrNotFound) {
			return chat.Message{}, false, err
		}
	}
	if e.Seq == 0 || e.Seq > math.MaxInt64 {
		return chat.Message{}, false, chat.ErrSeqConflict
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return appendTx(ctx, tx, w, writeID) })
	if errors.Is(err, chat.ErrSeqConflict) || pgutil.UniqueViolation(err, "entries_pkey") ||
		pgutil.UniqueViolation(err, "entries_client_msg_id") {
		// Another writer stored first, or an earlier try of this call
		// did: its entry is at e.Seq, or under the client message id.
		var m chat.Message
		var mid int64
		var lerr error
		if e.ClientMsgID != "" {
			m, mid, lerr = s.lookup(ctx, e.Room, e.From, e.ClientMsgID)
		} else {
			m, mid, lerr = s.one(ctx, e.Room, sqlGet, e.Room, e.Seq)
			if lerr == nil && mid != writeID {
				lerr = chat.ErrNotFound
			}
		}
		if lerr == nil {
			return found(m, mid, e, writeID)
		}
		if !errors.Is(lerr, chat.ErrNotFound) {
			return chat.Message{}, false, lerr
		}
		err = chat.ErrSeqConflict
	}
	if err != nil {
		return chat.Message{}, false, err
	}
	return e.Clone(), false, nil
}

// found is Append's answer when it finds m, stored by write mid, for
// entry e of write writeID: e itself if an earlier try of this call
// stored it, or else m as a duplicate.
func found(m chat.Message, mid int64, e *chat.Message, writeID int64) (chat.Message, bool, error) {
	if mid == writeID {
		return e.Clone(), false, nil
	}
	return m, true, nil
}

// appendTx sends the statements of w as one batch in tx and checks their
// results in order.
func appendTx(ctx context.Context, tx pgx.Tx, w *chat.Write, writeID int64) error {
	e := &w.Entry
	isMsg := e.Kind == chat.KindMessage
	moves := isMsg || e.Kind == chat.KindMembers
	var b pgx.Batch
	// Appends that read or clear users' settings take the room's lock
	// first, as SetSettings does (see sqlLockRoom).
	locked := w.Room != nil || moves
	if locked {
		b.Queue(sqlLockRoom, e.Room)
	}
	head := b.Len() // the statement that moves the head
	if e.Seq == 1 {
		var last uint64
		var updated int64
		if isMsg {
			last = 1
		}
		if moves {
			updated = e.Time
		}
		b.Queue(sqlStartLog, e.Room, last, updated)
	} else {
		b.Queue(sqlAdvanceLog, e.Room, e.Seq, isMsg, moves, e.Time)
	}
	if w.Update != nil {
		b.Queue(sqlUpdateEntry, entryArgs(e.Room, w.Update)...)
	}
	if r := w.Room; r != nil {
		members := r.Members
		if members == nil {
			members = []string{}
		}
		b.Queue(sqlPutRoom, r.ID, r.Kind, r.Name, members, orNull(r.Admins), r.Created, r.Creator)
		b.Queue(sqlDropMembers, r.ID, members)
		b.Queue(sqlAddMembers, r.ID, members)
	}
	b.Queue(sqlInsertEntry, append(entryArgs(e.Room, e), writeID)...)
	if w.Read != nil && w.Read.Seq > 0 {
		b.Queue(sqlSetRead, e.Room, w.Read.User, w.Read.Seq)
	}
	if moves {
		b.Queue(sqlUnhide, e.Room)
	}
	if locked {
		b.Queue(sqlOrderMembers, e.Room, moves)
	}

	br := tx.SendBatch(ctx, &b)
	defer br.Close()
	for i := range b.Len() {
		tag, err := br.Exec()
		if err != nil {
			return err
		}
		switch {
		case i == head && tag.RowsAffected() != 1:
			return chat.ErrSeqConflict
		case i == head+1 && w.Update != nil && tag.RowsAffected() != 1:
			return chat.ErrNotFound
		}
	}
	return br.Close()
}

// writeStorable reports whether PostgreSQL can store every value of w
// but the entry's seq.
func writeStorable(w *chat.Write) bool {
	if !entryStorable(&w.Entry) {
		return false
	}
	if w.Update != nil && (w.Update.Seq > math.MaxInt64 || !entryStorable(w.Update)) {
		return false
	}
	if r := w.Room; r != nil && !(pgutil.Storable(r.ID) && pgutil.Storable(r.Kind) && pgutil.Storable(r.Name) && pgutil.Storable(r.Creator) &&
		pgutil.AllStorable(r.Members) && pgutil.AllStorable(r.Admins)) {
		return false
	}
	return w.Read == nil || (w.Read.Seq <= math.MaxInt64 && pgutil.Storable(w.Read.User))
}
