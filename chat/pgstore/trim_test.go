package pgstore

import (
	"context"
	"fmt"
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/internal/pgtest"
)

// TestTrimPages: Trim goes through more rooms than one statement looks
// at: every DM of 2.4 pages of rooms keeps its newest 2 entries, and a
// group, whose kind has no rule, keeps all of its own.
func TestTrimPages(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, pgtest.NewSchema(t), Options{})
	rooms := trimPage*2 + trimPage/2
	load := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO rooms (id, kind, members, created)
			SELECT 'd' || i, $2, ARRAY['a', 'b'], 1 FROM generate_series(1, $1) i
			UNION ALL SELECT 'g', $3, ARRAY['a', 'b'], 1`, []any{rooms, chat.KindDM, chat.KindGroup}},
		{`INSERT INTO logs (room, head, last_msg, updated)
			SELECT 'd' || i, 5, 5, 5 FROM generate_series(1, $1) i UNION ALL SELECT 'g', 5, 5, 5`, []any{rooms}},
		{`INSERT INTO entries (room, seq, id, kind, from_user, time, text)
			SELECT r, q, r || '-' || q, 'message', 'a', q, 'x'
			FROM generate_series(1, 5) q, (SELECT 'd' || i AS r FROM generate_series(1, $1) i UNION ALL SELECT 'g') rs`, []any{rooms}},
	}
	for _, l := range load {
		if _, err := s.pool.Exec(ctx, l.sql, l.args...); err != nil {
			t.Fatalf("%s: %v", l.sql, err)
		}
	}
	n, err := s.Trim(ctx, map[string]chat.TrimRule{chat.KindDM: {Keep: 2}})
	if err != nil || n != rooms*3 {
		t.Fatalf("Trim = %d, %v; want %d", n, err, rooms*3)
	}
	for _, room := range []string{"d1", fmt.Sprint("d", rooms/2), fmt.Sprint("d", rooms)} {
		h, err := s.History(ctx, room, 0, 10)
		if err != nil || len(h) != 2 || h[0].Seq != 4 {
			t.Fatalf("%s: history %v, %v", room, seqs(h), err)
		}
	}
	if h, err := s.History(ctx, "g", 0, 10); err != nil || len(h) != 5 {
		t.Fatalf("the group's history: %v, %v", seqs(h), err)
	}
	if n, err := s.Trim(ctx, map[string]chat.TrimRule{chat.KindDM: {Keep: 2}}); err != nil || n != 0 {
		t.Fatalf("Trim again = %d, %v; want 0", n, err)
	}
}

func seqs(list []chat.Message) []uint64 {
	out := make([]uint64, len(list))
	for i, m := range list {
		out[i] = m.Seq
	}
	return out
}
