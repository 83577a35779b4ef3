package boltstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/parlorhq/parlor/chat"
	bolt "go.etcd.io/bbolt"
)

// The inbox index: for each member of each room with a record, one key
//
//	key(user) ‖ order(updated) ‖ room
//
// with an empty value, where updated is the room's Conversation.Updated
// and order maps it to 8 bytes that sort newest first. A user's keys are
// thus in SortConversations order (newest first, then by room id), and a
// page of their inbox is one seek and as many steps as it has
// conversations, however many conversations the user has. Append keeps
// the index in step with the room records and log states, in the same
// transaction.

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

// reindex moves room in the inbox index after a write that found the
// record old (nil: none), stored the record next (nil: unchanged) and
// left the log's Updated at updated: out of the inboxes of users no longer
// in the record, into those of new members, and to its new place in all
// of them when its time changed.
func reindex(tx *bolt.Tx, room string, old, next *chat.RoomInfo, oldTime, updated int64) error {
	if next == nil {
		next = old
	}
	newTime := inboxTime(updated, next)
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
	if next == nil {
		return nil
	}
	for _, u := range next.Members {
		if moved || old == nil || !old.HasMember(u) {
			if err := b.Put(inboxKey(u, newTime, room), nil); err != nil {
				return err
			}
		}
	}
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

// ConversationsBefore implements chat.Store: one seek in the inbox index,
// then, for each conversation of the page, its record, log state, receipt
// and unread count.
func (s *Store) ConversationsBefore(ctx context.Context, user string, cursor chat.InboxCursor, limit, maxUnread int) ([]chat.Conversation, error) {
	out := []chat.Conversation{}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		prefix := key(nil, user)
		c := tx.Bucket(bucketInbox).Cursor()
		k, _ := c.Seek(prefix)
		if !cursor.IsZero() {
			from := inboxKey(user, cursor.Updated, cursor.Room)
			if k, _ = c.Seek(from); k != nil && string(k) == string(from) {
				k, _ = c.Next()
			}
		}
		for ; k != nil && hasPrefix(k, prefix) && (limit <= 0 || len(out) < limit); k, _ = c.Next() {
			if len(k) < len(prefix)+8 {
				return fmt.Errorf("boltstore: bad inbox key of user %s", user)
			}
			conv, err := conversation(tx, user, string(k[len(prefix)+8:]), maxUnread)
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
