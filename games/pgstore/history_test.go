package pgstore

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/internal/pgtest"
)

// loadHistory fills the store's tables directly (the store would take
// minutes to finish this many matches one at a time): user "heavy" has
// finished games g1..g<n> against o1..o<n>, g<i> ended at 100000+i/2 (so
// pairs of games share an end time), and users x<i> and y<i> played n
// games of their own, so the tables hold more than heavy's rows.
func loadHistory(t *testing.T, s *Store, n int) {
	t.Helper()
	ctx := context.Background()
	load := []string{
		`INSERT INTO finished (room, kind, players, moves, winner, reason, tc_base, tc_increment, started, ended)
			SELECT 'g' || i, 'games.test', ARRAY['heavy', 'o' || i], '\x90'::bytea, 0, 'line', 0, 0, 1000, 100000 + i / 2
			FROM generate_series(1, $1) i
			UNION ALL SELECT 'xy' || i, 'games.test', ARRAY['x' || i, 'y' || i], '\x90'::bytea, -1, 'draw', 0, 0, 1000, 100000 + i
			FROM generate_series(1, $1) i`,
		`INSERT INTO history (user_id, room, ended)
			SELECT u, 'g' || i, 100000 + i / 2 FROM generate_series(1, $1) i, unnest(ARRAY['heavy', 'o' || i]) u
			UNION ALL SELECT u, 'xy' || i, 100000 + i FROM generate_series(1, $1) i, unnest(ARRAY['x' || i, 'y' || i]) u`,
	}
	for _, sql := range load {
		if _, err := s.pool.Exec(ctx, sql, n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	if _, err := s.pool.Exec(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
}

// TestHistoryPlan: a page of the history of a user with 10,000 finished
// games, at the top and deep in it, is read from the history_order index
// in order, starting at the cursor, and stops at the limit; the games are
// reached by primary key, and nothing is sorted or scanned whole. The
// pages are right, ties of end time broken by room id, descending.
func TestHistoryPlan(t *testing.T) {
	const n = 10000
	limit := games.DefaultHistoryPage + 1 // History.Page asks for one more
	ctx := context.Background()
	s := openStore(t, pgtest.NewSchema(t), Options{})
	loadHistory(t, s, n)

	wantIndex := regexp.MustCompile(fmt.Sprintf(`Index (Only )?Scan using history_order on history h \(actual rows=%d loops=1\)`, limit))
	cur := games.HistoryCursor{Ended: 100000 + n/4, Room: fmt.Sprint("g", n/2)}
	for _, c := range []struct {
		name string
		sql  string
		args []any
	}{
		{"the top", sqlHistoryTop, []any{"heavy", limit}},
		{fmt.Sprintf("after %+v", cur), sqlHistoryAfter, []any{"heavy", limit, cur.Ended, cur.Room}},
	} {
		plan := pgtest.Explain(t, s.pool, c.sql, c.args...)
		t.Logf("history plan at %s for a user with %d games:\n%s", c.name, n, plan)
		if !wantIndex.MatchString(plan) {
			t.Errorf("%s: the plan does not read %d rows from history_order", c.name, limit)
		}
		if !strings.Contains(plan, "Index Scan using finished_pkey on finished f") {
			t.Errorf("%s: the games are not read by primary key", c.name)
		}
		for _, bad := range []string{"Seq Scan", "Sort", "Hash"} {
			if strings.Contains(plan, bad) {
				t.Errorf("%s: the plan has a %s", c.name, bad)
			}
		}
	}

	// g<n/2> and g<n/2+1> ended at the cursor's time; "g5001" < "g5000" is
	// false byte by byte, so after (ended, "g5000") comes g4999's pair.
	page, err := s.Finished(ctx, "heavy", cur, 3)
	want := []string{fmt.Sprint("g", n/2-1), fmt.Sprint("g", n/2-2), fmt.Sprint("g", n/2-3)}
	if err != nil || !slices.Equal(finishedRooms(page), want) {
		t.Fatalf("the page after %+v: %v, %v; want %v", cur, finishedRooms(page), err, want)
	}
	top, err := s.Finished(ctx, "heavy", games.HistoryCursor{}, 3)
	want = []string{fmt.Sprint("g", n), fmt.Sprint("g", n-1), fmt.Sprint("g", n-2)}
	if err != nil || !slices.Equal(finishedRooms(top), want) || top[0].Players[1] != fmt.Sprint("o", n) {
		t.Fatalf("the top page: %v, %v; want %v", finishedRooms(top), err, want)
	}
	// The other users' histories are their own.
	if list, err := s.Finished(ctx, "y7", games.HistoryCursor{}, 10); err != nil || !slices.Equal(finishedRooms(list), []string{"xy7"}) {
		t.Fatalf("y7's history: %v, %v", finishedRooms(list), err)
	}
}

func finishedRooms(list []games.FinishedGame) []string {
	out := make([]string, len(list))
	for i, g := range list {
		out[i] = g.Room
	}
	return out
}
