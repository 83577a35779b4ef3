package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/parlorhq/parlor/chat"
	bolt "go.etcd.io/bbolt"
)

// The inbox index: for each member of each room with a record, one key
//
//	key(user) ‖ order(updated) ‖ room
//
// with an empty value, where updated is the room's Conversation.Updated
// (or, for a pending room, an earlier time: see inboxmoves.go) and order
// maps it to 8 bytes that sort newest first. A user's keys are thus in
// SortConversations order (newest first, then by room id), and a page of
// their inbox is one seek and as many steps as it has conversations,
// however many conversations the user has. Append keeps the index in step
// with the room records and log states, in the same transaction.

// order maps an Updated time to 8 bytes that sort in descending time
// order: the sign bit is flipped so that signed times sort as unsigned,
// then every bit is inverted.
func order(updated int64) uint64 { return ^(uint64(updated) ^ 1<<63) }

// inboxKey is the index key of room in user's inbox.
func inboxKey(user string, updated int64, room string) []byte {
	k := key(make([]byte, 0, len(user)+len(room)+18), user)
	k = binary.BigEndian.AppendUint64(k, order(updated))
	return append(k, room...)
}

// inboxTime is the Conversation.Updated of a room whose log state has
// updated and whose record is info (nil: none).
func inboxTime(updated int64, info *chat.RoomInfo) int64 {
	if updated == 0 && info != nil {
		return info.Created
	}
	return updated
}

// indexedRoom returns the record of w's room before w, if w can move the
// room in the inbox index (it replaces the record, or it is a message or
// members entry, which moves Updated); nil if not, or if there is none.
func indexedRoom(tx *bolt.Tx, w chat.Write) (*chat.RoomInfo, error) {
	k := w.Entry.Kind
	if w.Room == nil && k != chat.KindMessage && k != chat.KindMembers {
		return nil, nil
	}
	info, err := getRoom(tx, w.Entry.Room)
	if errors.Is(err, chat.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &info, nil
}

// indexTime is the time of the keys of a room whose log state is m and
// whose record is info (nil: none) in the inbox index: m.indexed, or the
// room's true time for a room written before moves were deferred.
func indexTime(m meta, info *chat.RoomInfo) int64 {
	if m.hasIndexed {
		return m.indexed
	}
	return inboxTime(m.updated, info)
}

// reindex keeps room in the inbox index after a write that found the
// record old (nil: none), stored the record next (nil: unchanged) and
// left the log state m, whose index keys were at oldTime. A new record
// moves the room at once: out of the inboxes of users no longer in it,
// into those of new members, and to its new time in all of them. A
// message or members entry that only moves the room's time moves it at
// once if its last move is InboxInterval old (or the time went back), and
// otherwise leaves its keys where they are and marks it pending (see
// inboxmoves.go). It sets m.indexed and m.pending.
func (s *Store) reindex(tx *bolt.Tx, room string, old, next *chat.RoomInfo, oldTime int64, m *meta) error {
	if old == nil && next == nil {
		return nil // no record: in no inbox, and m as it was
	}
	changed := next != nil
	if next == nil {
		next = old
	}
	newTime := inboxTime(m.updated, next)
	m.hasIndexed = true
	m.indexed = oldTime
	if newTime == oldTime && !changed {
		m.indexed = newTime
		return nil
	}
	if !changed && old != nil && s.interval > 0 && newTime > oldTime && newTime-oldTime < s.interval {
		return s.markPending(tx, room, next, m)
	}
	moved := newTime != oldTime
	b := tx.Bucket(bucketInbox)
	if old != nil {
		for _, u := range old.Members {
			if moved || !next.HasMember(u) {
				if err := b.Delete(inboxKey(u, oldTime, room)); err != nil {
					return err
				}
			}
		}
	}
	for _, u := range next.Members {
		if (moved || old == nil || !old.HasMember(u)) && !getSettings(tx, room, u).Hidden {
			if err := b.Put(inboxKey(u, newTime, room), nil); err != nil {
				return err
			}
		}
	}
	if m.pending {
		if err := clearPending(tx, room, old, next, m); err != nil {
			return err
		}
	}
	m.indexed = newTime
	return nil
}

// buildInbox fills the inbox index from the records and log states, for
// a file written before the index existed.
func buildInbox(tx *bolt.Tx) error {
	b := tx.Bucket(bucketInbox)
	times := make(map[string]int64) // by room
	c := tx.Bucket(bucketUsers).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		user, room, ok := twoParts(k)
		if !ok {
			return fmt.Errorf("boltstore: bad conversation key %q", k)
		}
		t, ok := times[room]
		if !ok {
			info, err := getRoom(tx, room)
			if err != nil {
				return err
			}
			t = inboxTime(getMeta(tx, room).updated, &info)
			times[room] = t
		}
		if err := b.Put(inboxKey(user, t, room), nil); err != nil {
			return err
		}
	}
	return nil
}

// Conversations implements chat.Store.
func (s *Store) Conversations(ctx context.Context, user string, limit, maxUnread int) ([]chat.Conversation, error) {
	return s.ConversationsBefore(ctx, user, chat.InboxCursor{}, limit, maxUnread)
}

// ConversationsBefore implements chat.Store: one seek in the inbox index
// and as many steps as the page has conversations, merged with the user's
// pending rooms (see inboxmoves.go) at their true places; then, for each
// conversation of the page, its record, log state, receipt and unread
// count.
func (s *Store) ConversationsBefore(ctx context.Context, user string, cursor chat.InboxCursor, limit, maxUnread int) ([]chat.Conversation, error) {
	out := []chat.Conversation{}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		prefix := key(nil, user)
		var after []byte
		if !cursor.IsZero() {
			after = inboxKey(user, cursor.Updated, cursor.Room)
		}
		pending, skip, err := pendingRooms(tx, user, prefix, after)
		if err != nil {
			return err
		}
		var page []inboxEntry
		c := tx.Bucket(bucketInbox).Cursor()
		k, _ := c.Seek(prefix)
		if after != nil {
			if k, _ = c.Seek(after); k != nil && string(k) == string(after) {
				k, _ = c.Next()
			}
		}
		for ; k != nil && hasPrefix(k, prefix) && (limit <= 0 || len(page) < limit); k, _ = c.Next() {
			if len(k) < len(prefix)+8 {
				return fmt.Errorf("boltstore: bad inbox key of user %s", user)
			}
			room := string(k[len(prefix)+8:])
			if _, ok := skip[room]; ok {
				continue // at its true place below
			}
			page = append(page, inboxEntry{key: k, room: room})
		}
		if len(pending) > 0 {
			page = append(page, pending...)
			slices.SortFunc(page, func(a, b inboxEntry) int { return bytes.Compare(a.key, b.key) })
			if limit > 0 && len(page) > limit {
				page = page[:limit]
			}
		}
		for _, e := range page {
			conv, err := conversation(tx, user, e.room, maxUnread)
			if err != nil {
				return err
			}
			out = append(out, conv)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// conversation builds user's inbox entry for room.
func conversation(tx *bolt.Tx, user, room string, maxUnread int) (chat.Conversation, error) {
	info, err := getRoom(tx, room)
	if err != nil {
		return chat.Conversation{}, err
	}
	st, err := state(tx, room)
	if err != nil {
		return chat.Conversation{}, err
	}
	n, err := unread(tx, room, user, maxUnread)
	if err != nil {
		return chat.Conversation{}, err
	}
	read := getUint(tx.Bucket(bucketReads).Get(readKey(room, user)))
	conv := chat.NewConversation(user, info, st, read, n)
	conv.Muted = getSettings(tx, room, user).Muted
	return conv, nil
}
