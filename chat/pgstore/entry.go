package pgstore

import (
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/internal/pgutil"
)

// entryColumns are the columns of a log entry, in the order scanEntry
// reads them, for a query on entries aliased e.
const entryColumns = `e.seq, e.id, e.kind, e.from_user, e.time, e.text, e.client_msg_id,
	e.target, e.edited, e.deleted, e.added, e.removed, e.admins, e.name, e.game`

// nullableEntryColumns are entryColumns for an outer join that may find
// no entry: a missing entry reads as seq 0.
const nullableEntryColumns = `coalesce(e.seq, 0), coalesce(e.id, ''), coalesce(e.kind, ''),
	coalesce(e.from_user, ''), coalesce(e.time, 0), coalesce(e.text, ''),
	coalesce(e.client_msg_id, ''), coalesce(e.target, 0), coalesce(e.edited, 0),
	coalesce(e.deleted, false), e.added, e.removed, e.admins, coalesce(e.name, ''), e.game`

// entryDest returns the scan destinations of entryColumns into m.
func entryDest(m *chat.Message) []any {
	return []any{&m.Seq, &m.ID, &m.Kind, &m.From, &m.Time, &m.Text, &m.ClientMsgID,
		&m.Target, &m.Edited, &m.Deleted, &m.Added, &m.Removed, &m.Admins, &m.Name, gameColumn{m}}
}

// gameColumn scans the game column, the msgpack of a KindGame entry's
// note (NULL for other entries), into Message.Game.
type gameColumn struct{ m *chat.Message }

// Scan implements sql.Scanner.
func (g gameColumn) Scan(src any) error {
	g.m.Game = nil
	raw, ok := src.([]byte)
	if src == nil || ok && len(raw) == 0 {
		return nil
	}
	if !ok {
		return fmt.Errorf("pgstore: game column holds %T", src)
	}
	var n chat.GameNote
	if err := codec.UnmarshalData(raw, &n); err != nil {
		return fmt.Errorf("pgstore: game column: %w", err)
	}
	g.m.Game = &n
	return nil
}

// gameArg is the game column's value of m: NULL unless it has a note.
func gameArg(m *chat.Message) any {
	if m.Game == nil {
		return nil
	}
	raw, err := codec.MarshalData(m.Game)
	if err != nil {
		return nil
	}
	return raw
}

// entryArgs returns m's values in entryColumns order, after room.
func entryArgs(room string, m *chat.Message) []any {
	return []any{room, m.Seq, m.ID, m.Kind, m.From, m.Time, m.Text, m.ClientMsgID,
		m.Target, m.Edited, m.Deleted, orNull(m.Added), orNull(m.Removed), orNull(m.Admins), m.Name, gameArg(m)}
}

// orNull stores an empty list as NULL.
func orNull(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	return list
}

// entryStorable reports whether PostgreSQL can store every string of m,
// and its target. (Its seq is checked against the head instead.)
func entryStorable(m *chat.Message) bool {
	return m.Target <= math.MaxInt64 && pgutil.Storable(m.Room) && pgutil.Storable(m.ID) && pgutil.Storable(m.Kind) && pgutil.Storable(m.From) &&
		pgutil.Storable(m.Text) && pgutil.Storable(m.ClientMsgID) && pgutil.Storable(m.Name) &&
		pgutil.AllStorable(m.Added) && pgutil.AllStorable(m.Removed) && pgutil.AllStorable(m.Admins)
}

// scanEntries reads the entries of room from rows of entryColumns.
func scanEntries(rows pgx.Rows, room string, out []chat.Message) ([]chat.Message, error) {
	defer rows.Close()
	for rows.Next() {
		m := chat.Message{Room: room}
		if err := rows.Scan(entryDest(&m)...); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
