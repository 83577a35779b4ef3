package boltstore

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/codec"
	bolt "go.etcd.io/bbolt"
)

// Trimming runs in rounds so that it never holds the writer for long: a
// read transaction looks at up to trimScan rooms and picks those whose
// oldest entry a rule lets go, then one write transaction trims them.
// Rooms with nothing to trim cost a read and no write.
const trimScan = 512

// Trim implements chat.Store.
func (s *Store) Trim(ctx context.Context, rules map[string]chat.TrimRule) (int, error) {
	removed := 0
	if len(rules) == 0 {
		return 0, s.view(ctx, func(*bolt.Tx) error { return nil })
	}
	var after []byte // the last room looked at
	for {
		var picked [][]byte
		var done bool
		err := s.view(ctx, func(tx *bolt.Tx) error {
			var err error
			picked, after, done, err = pickTrims(tx, after, rules)
			return err
		})
		if err != nil {
			return removed, err
		}
		if len(picked) > 0 {
			o := &op{kind: opTrim, rules: rules, rooms: picked}
			r := s.newRequest(o)
			o.all = true
			err := s.write(ctx, r)
			if err == nil {
				err = o.err
			}
			if err != nil {
				return removed, err
			}
			removed += o.removed
		}
		if done {
			return removed, nil
		}
	}
}

// pickTrims looks at up to trimScan rooms after the room after (nil: from
// the first) and returns those with entries to trim, the last room it
// looked at, and whether it looked at the last room of all.
func pickTrims(tx *bolt.Tx, after []byte, rules map[string]chat.TrimRule) (picked [][]byte, last []byte, done bool, err error) {
	c := tx.Bucket(bucketRooms).Cursor()
	k, v := c.First()
	if after != nil {
		if k, v = c.Seek(after); k != nil && string(k) == string(after) {
			k, v = c.Next()
		}
	}
	for n := 0; k != nil; k, v = c.Next() {
		if n == trimScan {
			return picked, last, false, nil
		}
		n++
		last = append(last[:0:0], k...) // k is valid only in tx
		var info chat.RoomInfo
		if err := codec.UnmarshalData(v, &info); err != nil {
			return nil, nil, false, fmt.Errorf("boltstore: room %s: %w", k, err)
		}
		rule, ok := rules[info.Kind]
		if !ok {
			continue
		}
		trims, err := trimsOldest(tx, info.ID, rule)
		if err != nil {
			return nil, nil, false, err
		}
		if trims {
			picked = append(picked, last)
		}
	}
	return picked, last, true, nil
}

// trimsOldest reports whether rule lets the room's oldest entry go.
func trimsOldest(tx *bolt.Tx, room string, rule chat.TrimRule) (bool, error) {
	meta := getMeta(tx, room)
	prefix := logPrefix(room, meta)
	k, v := tx.Bucket(bucketLog).Cursor().Seek(prefix)
	if k == nil || !hasPrefix(k, prefix) {
		return false, nil
	}
	m, err := decodeEntry(room, v)
	if err != nil {
		return false, err
	}
	return rule.Trims(binary.BigEndian.Uint64(k[len(prefix):]), m.Time, meta.head), nil
}

// trimRoom removes the room's oldest entries that its kind's rule lets go,
// with their client message ids, and returns how many it removed.
func trimRoom(tx *bolt.Tx, room string, rules map[string]chat.TrimRule) (int, error) {
	info, err := getRoom(tx, room)
	if err != nil {
		return 0, err
	}
	rule, ok := rules[info.Kind]
	if !ok {
		return 0, nil
	}
	m := getMeta(tx, room)
	prefix := logPrefix(room, m)
	c := tx.Bucket(bucketLog).Cursor()
	n := 0
	var seq uint64
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Seek(prefix) {
		seq = binary.BigEndian.Uint64(k[len(prefix):])
		e, err := decodeEntry(room, v)
		if err != nil {
			return n, err
		}
		if !rule.Trims(seq, e.Time, m.head) {
			break
		}
		if e.ClientMsgID != "" {
			if err := tx.Bucket(bucketCMIDs).Delete(cmidKey(prefix, e.From, e.ClientMsgID)); err != nil {
				return n, err
			}
		}
		if err := c.Delete(); err != nil {
			return n, err
		}
		n++
		if seq == m.lastMsg {
			m.lastMsg = 0
			if err := putMeta(tx, room, m); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}
