package pgstore

import (
	"context"
	"math"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/internal/pgutil"
)

// trimPage is how many rooms one statement of Trim looks at, so that no
// statement holds many rows locked or runs for long.
const trimPage = 500

// sqlTrim trims one page of rooms: $1 the room id the page starts after,
// $2, $3, $4 the rules (kinds, Before and Keep, 0 meaning no bound), $5
// the page size. For each room of a kind with a rule that has a log, it
// finds the first entry the rule keeps (reading the room's entries in seq
// order from the oldest, so past only the entries that go) and deletes
// every entry before it, by primary key range. It returns the last room
// of the page (NULL when the page is empty), how many rooms the page
// held, and how many entries it deleted. The head, the receipts and the
// inbox are not touched; the last message, once deleted, reads as none.
const sqlTrim = `WITH rule AS (
		SELECT * FROM unnest($2::text[], $3::bigint[], $4::bigint[]) AS t(kind, before, keep)
	), page AS (
		SELECT r.id, l.head, rule.before, rule.keep
		FROM rooms r
		JOIN rule ON rule.kind = r.kind
		JOIN logs l ON l.room = r.id
		WHERE r.id > $1
		ORDER BY r.id
		LIMIT $5
	), cut AS (
		SELECT p.id, coalesce((
			SELECT e.seq FROM entries e
			WHERE e.room = p.id
				AND (p.keep = 0 OR p.head < p.keep OR e.seq > p.head - p.keep)
				AND (p.before = 0 OR e.time >= p.before)
			ORDER BY e.seq
			LIMIT 1), p.head + 1) AS seq
		FROM page p
	), gone AS (
		DELETE FROM entries e USING cut c
		WHERE e.room = c.id AND e.seq < c.seq
		RETURNING 1
	)
	SELECT (SELECT max(id) FROM page), (SELECT count(*) FROM page), (SELECT count(*) FROM gone)`

// Trim implements chat.Store. It goes through the rooms in id order, one
// page of rooms per statement, each its own transaction bounded by
// Options.Timeout: appends to the rooms go on meanwhile, and an edit of
// an entry that a trim deleted fails with chat.ErrNotFound. A page retried
// after a lost connection does not count again the entries its first try
// deleted, so the count may then be short.
func (s *Store) Trim(ctx context.Context, rules map[string]chat.TrimRule) (int, error) {
	kinds := make([]string, 0, len(rules))
	befores := make([]int64, 0, len(rules))
	keeps := make([]int64, 0, len(rules))
	for kind, r := range rules {
		if !pgutil.Storable(kind) {
			continue // no room has such a kind
		}
		kinds = append(kinds, kind)
		befores = append(befores, r.Before)
		keeps = append(keeps, int64(min(r.Keep, math.MaxInt64)))
	}
	if len(kinds) == 0 {
		_, cancel, err := s.call(ctx) // closed or cancelled: still an error
		if err != nil {
			return 0, err
		}
		cancel()
		return 0, nil
	}
	removed := 0
	after := ""
	for {
		callCtx, cancel, err := s.call(ctx)
		if err != nil {
			return removed, err
		}
		var last *string
		var rooms, n int
		err = s.retry(callCtx, func() error {
			return s.pool.QueryRow(callCtx, sqlTrim, after, kinds, befores, keeps, trimPage).Scan(&last, &rooms, &n)
		})
		cancel()
		if err != nil {
			return removed, s.fail(ctx, err)
		}
		removed += n
		if last == nil || rooms < trimPage {
			return removed, nil
		}
		after = *last
	}
}
