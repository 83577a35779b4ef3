package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
	bolt "go.etcd.io/bbolt"

	"github.com/parlorhq/parlor/games"
)

// A user's finished games are indexed by history keys, user ‖ ended ‖
// match, where ended is the end time in Unix milliseconds with its sign
// bit flipped (so that the big-endian bytes sort as the numbers do). In
// ascending key order, a user's games run oldest first; Finished walks
// them backwards from the cursor.

// historyKey is the history key of match for user.
func historyKey(user string, ended int64, match string) []byte {
	b := part(make([]byte, 0, 2+len(user)+8+len(match)), user)
	b = binary.BigEndian.AppendUint64(b, uint64(ended)^1<<63)
	return append(b, match...)
}

// putFinished stores a finished game and indexes it for its players,
// replacing an earlier record of the match and its history keys.
func putFinished(tx *bolt.Tx, g *games.FinishedGame, raw []byte) error {
	fin := tx.Bucket(bucketFinished)
	h := tx.Bucket(bucketHistory)
	if old := fin.Get([]byte(g.Room)); old != nil {
		var was games.FinishedGame
		if err := msgpack.Unmarshal(old, &was); err != nil {
			return fmt.Errorf("boltstore: finished game %q: %w", g.Room, err)
		}
		for _, u := range was.Players {
			if err := h.Delete(historyKey(u, was.Ended.UnixMilli(), was.Room)); err != nil {
				return err
			}
		}
	}
	if err := fin.Put([]byte(g.Room), raw); err != nil {
		return err
	}
	for _, u := range g.Players {
		if err := h.Put(historyKey(u, g.Ended.UnixMilli(), g.Room), nil); err != nil {
			return err
		}
	}
	return nil
}

// Finished implements games.Store.
func (s *Store) Finished(ctx context.Context, user string, cursor games.HistoryCursor, limit int) ([]games.FinishedGame, error) {
	if limit <= 0 {
		return nil, nil
	}
	prefix := part(nil, user)
	var bound []byte // the walk starts at the last key below bound
	if cursor.IsZero() {
		bound = binary.BigEndian.AppendUint64(bytes.Clone(prefix), 1<<64-1)
		bound = append(bound, 0xff)
	} else {
		bound = historyKey(user, cursor.Ended, cursor.Room)
	}
	var out []games.FinishedGame
	err := s.viewTaken(ctx, "", func(tx *bolt.Tx) error {
		fin := tx.Bucket(bucketFinished)
		c := tx.Bucket(bucketHistory).Cursor()
		// Seek finds the first key at or after bound; the one before it
		// is the newest game on the page.
		k, _ := c.Seek(bound)
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && len(out) < limit && bytes.HasPrefix(k, prefix) && len(k) >= len(prefix)+8; k, _ = c.Prev() {
			room := k[len(prefix)+8:]
			v := fin.Get(room)
			if v == nil {
				return fmt.Errorf("boltstore: history of %q names %q, which is not stored", user, room)
			}
			var g games.FinishedGame
			if err := msgpack.Unmarshal(v, &g); err != nil {
				return fmt.Errorf("boltstore: finished game %q: %w", room, err)
			}
			out = append(out, g)
		}
		return nil
	})
	return out, err
}
