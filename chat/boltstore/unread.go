package boltstore

import (
	"context"
	"encoding/binary"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/codec"
	bolt "go.etcd.io/bbolt"
)

// Unread counts read the log itself. A log value starts with a header
// that names the entry's unread author,
//
//	entryMark ‖ uvarint(len(author)) ‖ author ‖ msgpack(entry)
//
// where author is the sender of a message that is not deleted (one that
// chat.CountsAsUnread can count) and empty for every other entry. An
// unread count steps back through the room's log from the head and
// compares authors without decoding an entry. Keeping the author in the
// log value rather than in an index of its own means a message dirties
// one page of the file fewer at every commit.
//
// Files written before the header existed hold bare msgpack values (and
// an "authors" index bucket, dropped on Open): such values are decoded in
// full where their author is needed, and are rewritten with the header
// when an edit or delete replaces them.

// entryMark starts a log value with a header. It is 0xc1, the one byte
// msgpack never uses, so no bare msgpack value starts with it.
const entryMark = 0xc1

// unreadAuthor is the author that entry m counts for in unread counts:
// its sender if it is a message not deleted, else "".
func unreadAuthor(m chat.Message) string {
	if m.Kind == chat.KindMessage && !m.Deleted {
		return m.From
	}
	return ""
}

// encodeEntry returns the log value of m: the header, then m in msgpack.
func encodeEntry(m chat.Message) ([]byte, error) {
	data, err := codec.MarshalData(m)
	if err != nil {
		return nil, err
	}
	return entryValue(m, data), nil
}

// entryValue returns the log value of m, whose msgpack encoding is data:
// the header, then a copy of data.
func entryValue(m chat.Message, data []byte) []byte {
	author := unreadAuthor(m)
	v := make([]byte, 0, 1+binary.MaxVarintLen64+len(author)+len(data))
	v = append(v, entryMark)
	v = binary.AppendUvarint(v, uint64(len(author)))
	v = append(v, author...)
	return append(v, data...)
}

// splitEntry splits a log value into its unread author and its msgpack
// data; old reports a value without a header, whose author is unknown.
func splitEntry(v []byte) (author, data []byte, old bool) {
	if len(v) == 0 || v[0] != entryMark {
		return nil, v, true
	}
	n, w := binary.Uvarint(v[1:])
	if w <= 0 || uint64(len(v)-1-w) < n {
		return nil, v, true // not a header: let the decoder report it
	}
	start := 1 + w
	return v[start : start+int(n)], v[start+int(n):], false
}

// countsFor reports whether log value v counts as unread for user.
func countsFor(v []byte, user string) (bool, error) {
	author, data, old := splitEntry(v)
	if !old {
		return len(author) > 0 && string(author) != user, nil
	}
	m, err := decodeEntry("", data)
	if err != nil {
		return false, err
	}
	return chat.CountsAsUnread(m, user), nil
}

// Unread implements chat.Store.
func (s *Store) Unread(ctx context.Context, roomID, user string, max int) (int, error) {
	var n int
	err := s.viewRoom(ctx, roomID, func(tx *bolt.Tx) error {
		var err error
		n, err = unread(tx, roomID, user, max)
		return err
	})
	return n, err
}

// unread counts the messages of others after user's read seq, newest
// first, stopping at max: it steps back through the room's log from the
// head, reading only the authors in the values' headers.
func unread(tx *bolt.Tx, room, user string, max int) (int, error) {
	read := getUint(tx.Bucket(bucketReads).Get(readKey(room, user)))
	m := getMeta(tx, room)
	head := m.head
	if head <= read || max <= 0 {
		return 0, nil
	}
	prefix := logPrefix(room, m)
	c := tx.Bucket(bucketLog).Cursor()
	k, v := c.Seek(entryKey(prefix, head+1))
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
		counts, err := countsFor(v, user)
		if err != nil {
			return 0, err
		}
		if counts {
			n++
		}
	}
	return n, nil
}
