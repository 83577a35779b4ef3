package boltstore

import (
	"context"
	"encoding/binary"

	"github.com/parlorhq/parlor/chat"
	bolt "go.etcd.io/bbolt"
)

// The authors index: for each message that is not deleted, one key
//
//	room ‖ seq -> author
//
// (the log's key, so both sort alike). These are the entries that
// chat.CountsAsUnread can count, so an unread count steps through them
// and compares authors, without decoding a log entry. Append keeps it in
// step with the log (a new message is added, a deleted one removed), Trim
// removes the keys of trimmed entries.

// indexAuthor adds entry m of room to the authors index, or removes it
// when it is not a message or is deleted.
func indexAuthor(tx *bolt.Tx, room string, m chat.Message) error {
	b := tx.Bucket(bucketAuthors)
	k := logKey(room, m.Seq)
	if m.Kind == chat.KindMessage && !m.Deleted {
		return b.Put(k, []byte(m.From))
	}
	return b.Delete(k)
}

// buildAuthors fills the authors index from the log, for a file written
// before the index existed.
func buildAuthors(tx *bolt.Tx) error {
	b := tx.Bucket(bucketAuthors)
	c := tx.Bucket(bucketLog).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		m, err := decodeEntry("", v)
		if err != nil {
			return err
		}
		if m.Kind == chat.KindMessage && !m.Deleted {
			if err := b.Put(k, []byte(m.From)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Unread implements chat.Store.
func (s *Store) Unread(ctx context.Context, roomID, user string, max int) (int, error) {
	var n int
	err := s.view(ctx, func(tx *bolt.Tx) error {
		n = unread(tx, roomID, user, max)
		return nil
	})
	return n, err
}

// unread counts the messages of others after user's read seq, newest
// first, stopping at max: it steps back through the room's authors from
// the head.
func unread(tx *bolt.Tx, room, user string, max int) int {
	read := getUint(tx.Bucket(bucketReads).Get(readKey(room, user)))
	head := getMeta(tx, room).head
	if head <= read || max <= 0 {
		return 0
	}
	prefix := key(nil, room)
	c := tx.Bucket(bucketAuthors).Cursor()
	k, v := c.Seek(logKey(room, head+1))
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	n := 0
	for ; k != nil && hasPrefix(k, prefix) && n < max; k, v = c.Prev() {
		if binary.BigEndian.Uint64(k[len(prefix):]) <= read {
			break
		}
		if string(v) != user {
			n++
		}
	}
	return n
}
