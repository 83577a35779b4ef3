package pgstore

import (
	"context"
	"errors"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/internal/pgutil"
)

// The statements of an append, in the order Append sends them. $1 is
// always the match.
const (
	// The head moves from the seq before the write's first entry to its
	// last. The row lock orders the writers of one match; a writer that
	// waited finds the head moved and updates nothing: a seq conflict, or
	// the match is not stored.
	sqlAdvance = `UPDATE matches SET head = $3 WHERE id = $1 AND head = $2`
	// A write without entries only locks the match's row.
	sqlTouch       = `UPDATE matches SET head = head WHERE id = $1`
	sqlInsertEntry = `INSERT INTO entries (match, seq, event, data, at, move, client_msg_id, write_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
	// After a refused advance: whether the match is stored, and which
	// write stored the entry at $2.
	sqlWrittenBy = `SELECT coalesce((SELECT write_id FROM entries WHERE match = $1 AND seq = $2), 0)
		FROM matches WHERE id = $1`
)

// errNotAdvanced: the head was not where the write's first entry needs
// it. Append then finds out why (sqlWrittenBy).
var errNotAdvanced = errors.New("pgstore: head not advanced")

// Append implements games.Store, in one transaction.
//
// A lost connection is retried once. The first try may have been stored
// before its connection died: each call stores a random write id with its
// entries, and a retry refused at the head that finds its own write id at
// its first seq reports the write as stored, not as a conflict. So a
// write is never stored twice nor acked unstored; if the retry fails too,
// Append returns ErrUnavailable.
func (s *Store) Append(ctx context.Context, w games.Write) error {
	for i, e := range w.Entries {
		if e.Seq == 0 || e.Seq > math.MaxInt64 || i > 0 && e.Seq != w.Entries[i-1].Seq+1 {
			return games.ErrSeqConflict
		}
		if !pgutil.Storable(e.Event) {
			return ErrUnstorable
		}
	}
	if g := w.Finished; g != nil && !(pgutil.Storable(g.Kind) && pgutil.Storable(g.Room) && pgutil.AllStorable(g.Players) && pgutil.Storable(g.Result.Reason)) {
		return ErrUnstorable
	}
	callCtx, cancel, err := s.call(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	if !pgutil.Storable(w.Match) {
		return games.ErrNotFound
	}
	var fin *finishedRow
	if w.Finished != nil {
		if fin, err = newFinishedRow(w.Finished); err != nil {
			return err
		}
	}
	writeID := pgutil.NewWriteID()
	err = s.retry(callCtx, func() error {
		err := pgx.BeginFunc(callCtx, s.pool, func(tx pgx.Tx) error { return appendTx(callCtx, tx, &w, fin, writeID) })
		if !errors.Is(err, errNotAdvanced) {
			return err
		}
		var first uint64
		if len(w.Entries) > 0 {
			first = w.Entries[0].Seq
		}
		var by int64
		err = s.pool.QueryRow(callCtx, sqlWrittenBy, w.Match, int64(first)).Scan(&by)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return games.ErrNotFound
		case err != nil:
			return err
		case by == writeID:
			return nil // an earlier try of this call stored it
		}
		return games.ErrSeqConflict
	})
	return s.fail(ctx, err)
}

// appendTx sends the statements of w as one batch in tx and checks their
// results in order.
func appendTx(ctx context.Context, tx pgx.Tx, w *games.Write, fin *finishedRow, writeID int64) error {
	var b pgx.Batch
	if n := len(w.Entries); n > 0 {
		b.Queue(sqlAdvance, w.Match, int64(w.Entries[0].Seq-1), int64(w.Entries[n-1].Seq))
	} else {
		b.Queue(sqlTouch, w.Match)
	}
	for i := range w.Entries {
		e := &w.Entries[i]
		b.Queue(sqlInsertEntry, w.Match, int64(e.Seq), e.Event, orEmpty(e.Data), e.At, orNull(e.Move),
			orNull([]byte(e.ClientMsgID)), writeID)
	}
	if fin != nil {
		fin.queue(&b)
	}
	br := tx.SendBatch(ctx, &b)
	defer br.Close()
	for i := range b.Len() {
		tag, err := br.Exec()
		if err != nil {
			return err
		}
		if i == 0 && tag.RowsAffected() != 1 {
			return errNotAdvanced
		}
	}
	return br.Close()
}
