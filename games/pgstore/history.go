package pgstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/internal/pgutil"
)

// Finished games and each user's history of them.
const (
	// A match finishes once; a second record of it replaces the first.
	sqlPutFinished = `INSERT INTO finished (room, kind, players, moves, winner, reason, tc_base, tc_increment, started, ended)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (room) DO UPDATE SET kind = EXCLUDED.kind, players = EXCLUDED.players,
			moves = EXCLUDED.moves, winner = EXCLUDED.winner, reason = EXCLUDED.reason,
			tc_base = EXCLUDED.tc_base, tc_increment = EXCLUDED.tc_increment,
			started = EXCLUDED.started, ended = EXCLUDED.ended`
	sqlDropHistory = `DELETE FROM history WHERE room = $1 AND user_id <> ALL ($2::text[])`
	// A user seated twice has the game once.
	sqlAddHistory = `INSERT INTO history (user_id, room, ended) SELECT DISTINCT u, $1::text, $3::bigint FROM unnest($2::text[]) AS u
		ON CONFLICT (user_id, room) DO UPDATE SET ended = EXCLUDED.ended`

	finishedColumns = `f.room, f.kind, f.players, f.moves, f.winner, f.reason, f.tc_base, f.tc_increment,
		f.started, f.ended`
	// sqlHistoryTop is the first page of a user's history ($1 the user, $2
	// the limit), sqlHistoryAfter a later one, after the game that ended at
	// $3 in room $4. Both read the user's rows from the history_order
	// index in page order, from the cursor on (the index range starts at
	// ended $3; only rows tied with the cursor's time are filtered by
	// room), and stop at the limit; each game is then looked up by primary
	// key. Their cost grows with the page, not with the user's number of
	// games nor with how deep the page is. Room ids compare byte by byte
	// (the "C" collation, as in the index), as games.HistoryCursor
	// compares them.
	sqlHistoryTop = `SELECT ` + finishedColumns + `
		FROM history h JOIN finished f ON f.room = h.room
		WHERE h.user_id = $1
		ORDER BY h.ended DESC, h.room COLLATE "C" DESC
		LIMIT $2`
	sqlHistoryAfter = `SELECT ` + finishedColumns + `
		FROM history h JOIN finished f ON f.room = h.room
		WHERE h.user_id = $1 AND h.ended <= $3 AND (h.ended < $3 OR h.room COLLATE "C" < $4)
		ORDER BY h.ended DESC, h.room COLLATE "C" DESC
		LIMIT $2`
)

// finishedRow is a finished game as Append stores it.
type finishedRow struct {
	g     *games.FinishedGame
	moves []byte // msgpack of g.Moves
}

func newFinishedRow(g *games.FinishedGame) (*finishedRow, error) {
	moves, err := msgpack.Marshal(g.Moves)
	if err != nil {
		return nil, err
	}
	return &finishedRow{g: g, moves: moves}, nil
}

// queue adds the statements that store the game and index it for its
// players.
func (f *finishedRow) queue(b *pgx.Batch) {
	g := f.g
	players := g.Players
	if players == nil {
		players = []string{}
	}
	ended := g.Ended.UnixMilli()
	b.Queue(sqlPutFinished, g.Room, g.Kind, players, f.moves, g.Result.Winner, g.Result.Reason,
		int64(g.TimeControl.Base), int64(g.TimeControl.Increment), g.Started.UnixMilli(), ended)
	b.Queue(sqlDropHistory, g.Room, players)
	b.Queue(sqlAddHistory, g.Room, players, ended)
}

// Finished implements games.Store. A cursor whose room id PostgreSQL
// cannot hold (a NUL byte, invalid UTF-8) is refused with ErrUnstorable:
// no room id is such a string.
func (s *Store) Finished(ctx context.Context, user string, cursor games.HistoryCursor, limit int) ([]games.FinishedGame, error) {
	callCtx, cancel, err := s.call(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	if !pgutil.Storable(cursor.Room) {
		return nil, ErrUnstorable
	}
	if limit <= 0 || !pgutil.Storable(user) {
		return nil, nil
	}
	var out []games.FinishedGame
	err = s.retry(callCtx, func() error {
		var rows pgx.Rows
		var err error
		if cursor.IsZero() {
			rows, err = s.pool.Query(callCtx, sqlHistoryTop, user, limit)
		} else {
			rows, err = s.pool.Query(callCtx, sqlHistoryAfter, user, limit, cursor.Ended, cursor.Room)
		}
		if err != nil {
			return err
		}
		out, err = scanFinished(rows, out[:0])
		return err
	})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return out, nil
}

// scanFinished appends the games of rows of finishedColumns to out.
func scanFinished(rows pgx.Rows, out []games.FinishedGame) ([]games.FinishedGame, error) {
	defer rows.Close()
	for rows.Next() {
		var g games.FinishedGame
		var moves []byte
		var base, inc, started, ended int64
		if err := rows.Scan(&g.Room, &g.Kind, &g.Players, &moves, &g.Result.Winner, &g.Result.Reason,
			&base, &inc, &started, &ended); err != nil {
			return nil, err
		}
		if err := msgpack.Unmarshal(moves, &g.Moves); err != nil {
			return nil, err
		}
		g.TimeControl = games.TimeControl{Base: time.Duration(base), Increment: time.Duration(inc)}
		g.Started, g.Ended = time.UnixMilli(started), time.UnixMilli(ended)
		out = append(out, g)
	}
	return out, rows.Err()
}
