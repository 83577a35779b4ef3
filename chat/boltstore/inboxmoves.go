package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/parlorhq/parlor/chat"
	bolt "go.etcd.io/bbolt"
)

// Deferred inbox moves. Moving a room in the inbox index costs a delete
// and a put per member, and in a busy group that was most of a message's
// writes. So a message that comes less than Options.InboxInterval after
// the room's last move leaves the room's index keys at their time (meta's
// indexed) and marks the room pending, once until its next move:
//
//	inboxmoves: key(user) ‖ room -> nothing, for every member
//	inboxdue:   indexed time ‖ room -> nothing
//
// A read of a user's inbox seeks their keys in inboxmoves first, places
// those rooms at their true time (meta's updated), skips their stale keys
// in the index and merges the two, so that a page is exact and ordered.
// A pending room is moved, and its marks removed, by its first message
// InboxInterval after its last move, or by any later Append once its due
// time is past (moveDue), so a user's pending rooms are those active
// within about the last interval. A room thus moves at most once per
// interval per member, whatever its rate of messages.

// maxDueMoves bounds the pending rooms one Append moves, so that the
// cost of a write stays bounded whatever has accumulated.
const maxDueMoves = 8

// inboxEntry is a room of an inbox page and its place in the index
// order: its inbox key, at its true time for a pending room.
type inboxEntry struct {
	key  []byte
	room string
}

// dueKey is the inboxdue key of a room whose index keys are at indexed.
func dueKey(indexed int64, room string) []byte {
	k := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(room)), uint64(indexed)^1<<63)
	return append(k, room...)
}

// deferred reports whether w is a message that leaves its room, pending
// with log state m, where it is in the inbox index: then Append need not
// read the room's record (nor decode it) for the index.
func (s *Store) deferred(w chat.Write, m meta) bool {
	e := w.Entry
	return w.Room == nil && e.Kind == chat.KindMessage && m.pending && s.interval > 0 &&
		e.Time > m.indexed && e.Time-m.indexed < s.interval
}

// markPending marks room pending for the members of info, if it is not
// pending already.
func (s *Store) markPending(tx *bolt.Tx, room string, info *chat.RoomInfo, m *meta) error {
	if m.pending {
		return nil
	}
	s.nextDue = min(s.nextDue, m.indexed+s.interval)
	b := tx.Bucket(bucketMoves)
	for _, u := range info.Members {
		if err := b.Put(userKey(u, room), nil); err != nil {
			return err
		}
	}
	m.pending = true
	return tx.Bucket(bucketDue).Put(dueKey(m.indexed, room), nil)
}

// clearPending removes the pending marks of room, whose members were
// old and are now next (either may be nil), and whose index keys were at
// m.indexed.
func clearPending(tx *bolt.Tx, room string, old, next *chat.RoomInfo, m *meta) error {
	b := tx.Bucket(bucketMoves)
	for _, info := range []*chat.RoomInfo{old, next} {
		if info == nil {
			continue
		}
		for _, u := range info.Members {
			if err := b.Delete(userKey(u, room)); err != nil {
				return err
			}
		}
	}
	m.pending = false
	return tx.Bucket(bucketDue).Delete(dueKey(m.indexed, room))
}

// moveDue moves up to maxDueMoves pending rooms whose last move is at
// least InboxInterval before now to their true time in the index. It
// looks only once now reaches s.nextDue, and leaves there the due time
// of the first room it leaves pending. The hint may be early (a write
// that marked a room was rolled back), never late but for a rolled back
// move, which only delays moves: reads are exact whatever it says.
func (s *Store) moveDue(tx *bolt.Tx, now int64) error {
	if now < s.nextDue {
		return nil
	}
	var due [][]byte
	s.nextDue = math.MaxInt64
	c := tx.Bucket(bucketDue).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) < 8 {
			continue
		}
		if at := int64(binary.BigEndian.Uint64(k)^1<<63) + s.interval; at > now || len(due) == maxDueMoves {
			s.nextDue = at
			break
		}
		due = append(due, k)
	}
	for _, k := range due {
		indexed, room := int64(binary.BigEndian.Uint64(k)^1<<63), string(k[8:])
		if err := moveRoom(tx, room, indexed); err != nil {
			return err
		}
	}
	return nil
}

// moveRoom moves pending room, whose due key names indexed, to its true
// time in the inboxes that list it, and removes its marks.
func moveRoom(tx *bolt.Tx, room string, indexed int64) error {
	m := getMeta(tx, room)
	if !m.pending || m.indexed != indexed {
		return tx.Bucket(bucketDue).Delete(dueKey(indexed, room))
	}
	info, err := getRoom(tx, room)
	if errors.Is(err, chat.ErrNotFound) {
		return clearPending(tx, room, nil, nil, &m) // in no inbox
	}
	if err != nil {
		return err
	}
	newTime := inboxTime(m.updated, &info)
	b := tx.Bucket(bucketInbox)
	for _, u := range info.Members {
		from := inboxKey(u, indexed, room)
		if newTime == indexed || !hasKey(b, from) {
			continue // hidden: not listed
		}
		if err := b.Delete(from); err != nil {
			return err
		}
		if err := b.Put(inboxKey(u, newTime, room), nil); err != nil {
			return err
		}
	}
	if err := clearPending(tx, room, nil, &info, &m); err != nil {
		return err
	}
	m.indexed = newTime
	return putMeta(tx, room, m)
}

// pendingRooms returns user's pending rooms that their inbox lists, each
// with its inbox key at its true time, leaving out those at or before
// after (nil: none) in the index order; and the set of all of user's
// pending rooms, whose index keys a read skips (nil if none).
func pendingRooms(tx *bolt.Tx, user string, prefix, after []byte) ([]inboxEntry, map[string]struct{}, error) {
	var out []inboxEntry
	var skip map[string]struct{}
	inbox := tx.Bucket(bucketInbox)
	c := tx.Bucket(bucketMoves).Cursor()
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		room, ok := part(k[len(prefix):])
		if !ok {
			return nil, nil, fmt.Errorf("boltstore: bad pending key of user %s", user)
		}
		m := getMeta(tx, room)
		if !m.pending {
			continue
		}
		if skip == nil {
			skip = make(map[string]struct{})
		}
		skip[room] = struct{}{}
		if !hasKey(inbox, inboxKey(user, m.indexed, room)) {
			continue // hidden, or no longer a member
		}
		// A pending room's time was moved by an entry, so it is
		// m.updated, and its record need not be read here.
		k := inboxKey(user, m.updated, room)
		if after != nil && string(k) <= string(after) {
			continue
		}
		out = append(out, inboxEntry{key: k, room: room})
	}
	return out, skip, nil
}

// hasKey reports whether b holds k (whatever its value, empty included).
func hasKey(b *bolt.Bucket, k []byte) bool {
	got, _ := b.Cursor().Seek(k)
	return got != nil && string(got) == string(k)
}
