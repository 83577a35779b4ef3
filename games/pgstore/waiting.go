package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/internal/pgutil"
)

// The statements of Info and Waiting. Waiting reads the partial index
// matches_waiting.
const (
	sqlWaiting = `SELECT id, kind, players, creator, epoch, start, tc_base, tc_increment, created, nonce
		FROM matches WHERE kind = $1 AND head = 0 AND created >= $2
		ORDER BY created, id COLLATE "C" LIMIT $3`
)

// Info implements games.Store: one read of the match's record.
func (s *Store) Info(ctx context.Context, id string) (games.MatchInfo, error) {
	callCtx, cancel, err := s.call(ctx)
	if err != nil {
		return games.MatchInfo{}, err
	}
	defer cancel()
	if !pgutil.Storable(id) {
		return games.MatchInfo{}, games.ErrNotFound
	}
	var info games.MatchInfo
	err = s.retry(callCtx, func() error {
		info = games.MatchInfo{ID: id}
		var base, inc int64
		err := s.pool.QueryRow(callCtx, sqlMatch, id).Scan(&info.Kind, &info.Players, &info.Creator, &info.Epoch,
			&info.Start, &base, &inc, &info.Created, &info.Nonce)
		if errors.Is(err, pgx.ErrNoRows) {
			return games.ErrNotFound
		}
		info.TimeControl = games.TimeControl{Base: time.Duration(base), Increment: time.Duration(inc)}
		return err
	})
	if err != nil {
		return games.MatchInfo{}, s.fail(ctx, err)
	}
	return info, nil
}

// Waiting implements games.Store.
func (s *Store) Waiting(ctx context.Context, kind string, since int64, limit int) ([]games.MatchInfo, error) {
	callCtx, cancel, err := s.call(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	if limit <= 0 || !pgutil.Storable(kind) {
		return nil, nil
	}
	var out []games.MatchInfo
	err = s.retry(callCtx, func() error {
		out = out[:0]
		rows, err := s.pool.Query(callCtx, sqlWaiting, kind, since, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var info games.MatchInfo
			var base, inc int64
			if err := rows.Scan(&info.ID, &info.Kind, &info.Players, &info.Creator, &info.Epoch, &info.Start,
				&base, &inc, &info.Created, &info.Nonce); err != nil {
				return err
			}
			info.TimeControl = games.TimeControl{Base: time.Duration(base), Increment: time.Duration(inc)}
			out = append(out, info)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return out, nil
}
