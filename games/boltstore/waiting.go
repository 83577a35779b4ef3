package boltstore

import (
	"context"
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
	bolt "go.etcd.io/bbolt"

	"github.com/parlorhq/parlor/games"
)

// Info implements games.Store: one read of the match's record, which
// waits for the creations acked before it but not for held moves.
func (s *Store) Info(ctx context.Context, id string) (games.MatchInfo, error) {
	var info games.MatchInfo
	err := s.viewTaken(ctx, id, func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMatches).Get([]byte(id))
		if v == nil {
			return games.ErrNotFound
		}
		return msgpack.Unmarshal(v, &info)
	})
	if err != nil {
		return games.MatchInfo{}, err
	}
	return info, nil
}

// Waiting implements games.Store. It walks every match record, decoding
// only those with an empty log (no head), so it costs a pass over the
// records: hosts call it once, at start.
func (s *Store) Waiting(ctx context.Context, kind string, since int64, limit int) ([]games.MatchInfo, error) {
	if limit <= 0 {
		return nil, nil
	}
	var out []games.MatchInfo
	err := s.view(ctx, "", func(tx *bolt.Tx) error {
		out = out[:0]
		heads := tx.Bucket(bucketHeads)
		return tx.Bucket(bucketMatches).ForEach(func(k, v []byte) error {
			if heads.Get(k) != nil {
				return nil
			}
			var info games.MatchInfo
			if err := msgpack.Unmarshal(v, &info); err != nil {
				return fmt.Errorf("boltstore: match %x: %w", k, err)
			}
			if info.Kind == kind && info.Created >= since {
				out = append(out, info)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	games.SortWaiting(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
