package pgstore

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/internal/pgutil"
)

// The statements of match records and logs. $1 is always the match.
const (
	sqlCreate = `INSERT INTO matches (id, kind, players, creator, epoch, start, tc_base, tc_increment, created, write_id, nonce)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (id) DO NOTHING`
	sqlCreatedBy = `SELECT write_id FROM matches WHERE id = $1`
	sqlMatch     = `SELECT kind, players, creator, epoch, start, tc_base, tc_increment, created, nonce
		FROM matches WHERE id = $1`
	// A log, or part of it, in seq order from the primary key.
	sqlEntries = `SELECT ` + entryColumns + ` FROM entries
		WHERE match = $1 AND seq > $2 ORDER BY seq LIMIT $3`
)

// Create implements games.Store. A call retried after a lost connection
// recognises the record its first try stored (by a random write id) and
// succeeds, rather than report its own match as existing.
func (s *Store) Create(ctx context.Context, m games.MatchInfo) error {
	if !pgutil.Storable(m.ID) || !pgutil.Storable(m.Kind) || !pgutil.AllStorable(m.Players) || !pgutil.Storable(m.Creator) || !pgutil.Storable(m.Nonce) ||
		!pgutil.Storable(m.Epoch) || !pgutil.Storable(m.Start) {
		return ErrUnstorable
	}
	callCtx, cancel, err := s.call(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	players := m.Players
	if players == nil {
		players = []string{}
	}
	writeID := pgutil.NewWriteID()
	err = s.retry(callCtx, func() error {
		tag, err := s.pool.Exec(callCtx, sqlCreate, m.ID, m.Kind, players, m.Creator, m.Epoch, m.Start,
			int64(m.TimeControl.Base), int64(m.TimeControl.Increment), m.Created, writeID, m.Nonce)
		if err != nil || tag.RowsAffected() == 1 {
			return err
		}
		var by int64
		if err := s.pool.QueryRow(callCtx, sqlCreatedBy, m.ID).Scan(&by); err != nil {
			return err
		}
		if by != writeID {
			return games.ErrMatchExists
		}
		return nil
	})
	return s.fail(ctx, err)
}

// Load implements games.Store. The record and the log are read in one
// round trip; the log is read after the record, so it holds every entry
// appended before the call.
func (s *Store) Load(ctx context.Context, id string) (games.MatchInfo, []games.Entry, error) {
	callCtx, cancel, err := s.call(ctx)
	if err != nil {
		return games.MatchInfo{}, nil, err
	}
	defer cancel()
	if !pgutil.Storable(id) {
		return games.MatchInfo{}, nil, games.ErrNotFound
	}
	var info games.MatchInfo
	var log []games.Entry
	err = s.retry(callCtx, func() error {
		info, log = games.MatchInfo{ID: id}, nil
		var b pgx.Batch
		b.Queue(sqlMatch, id).QueryRow(func(row pgx.Row) error {
			var base, inc int64
			err := row.Scan(&info.Kind, &info.Players, &info.Creator, &info.Epoch, &info.Start, &base, &inc, &info.Created, &info.Nonce)
			if errors.Is(err, pgx.ErrNoRows) {
				return games.ErrNotFound
			}
			info.TimeControl = games.TimeControl{Base: time.Duration(base), Increment: time.Duration(inc)}
			return err
		})
		b.Queue(sqlEntries, id, 0, nil).Query(func(rows pgx.Rows) error {
			var err error
			log, err = scanEntries(rows, log)
			return err
		})
		return s.pool.SendBatch(callCtx, &b).Close()
	})
	if err != nil {
		return games.MatchInfo{}, nil, s.fail(ctx, err)
	}
	return info, log, nil
}

// Entries implements games.Store.
func (s *Store) Entries(ctx context.Context, id string, after uint64, limit int) ([]games.Entry, error) {
	callCtx, cancel, err := s.call(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	if limit <= 0 || after >= math.MaxInt64 || !pgutil.Storable(id) {
		return nil, nil
	}
	var out []games.Entry
	err = s.retry(callCtx, func() error {
		rows, err := s.pool.Query(callCtx, sqlEntries, id, int64(after), limit)
		if err != nil {
			return err
		}
		out, err = scanEntries(rows, out[:0])
		return err
	})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return out, nil
}
