package pgstore

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/internal/pgtest"
)

// TestGroupsCreatedFromVersion1: a schema made by migration 0001 alone,
// which stored no creators, gets each group's creator from the author of
// its first log entry (the members entry that created it) when 0002
// runs; a group whose first entry is gone, and a direct conversation,
// get none.
func TestGroupsCreatedFromVersion1(t *testing.T) {
	ctx := context.Background()
	schema := pgtest.NewSchema(t)
	list, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	ident := pgx.Identifier{schema}.Sanitize()
	version1 := []string{
		"CREATE SCHEMA " + ident,
		"SET search_path TO " + ident,
		`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
			applied timestamptz NOT NULL DEFAULT now())`,
		list[0].SQL,
		"INSERT INTO schema_migrations (version, name) VALUES (1, '" + list[0].Name + "')",
		`INSERT INTO rooms (id, kind, name, members, created) VALUES
			('g1', 'chat.group', 'one', ARRAY['a', 'b'], 1),
			('g2', 'chat.group', 'two', ARRAY['a'], 1),
			('d1', 'chat.dm', '', ARRAY['a', 'b'], 1)`,
		`INSERT INTO logs (room, head, last_msg, updated) VALUES ('g1', 1, 0, 1), ('g2', 5, 5, 5), ('d1', 1, 1, 1)`,
		`INSERT INTO entries (room, seq, id, kind, from_user, time, name, text) VALUES
			('g1', 1, 'x1', 'members', 'a', 1, 'one', ''),
			('g2', 5, 'x2', 'message', 'a', 5, '', 'hi'),
			('d1', 1, 'x3', 'message', 'a', 1, '', 'hi')`,
	}
	for _, sql := range version1 {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}

	s := openStore(t, schema, Options{})
	var applied int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&applied); err != nil || applied != len(list) {
		t.Fatalf("%d migrations applied, %v; want %d", applied, err, len(list))
	}
	for room, want := range map[string]string{"g1": "a", "g2": "", "d1": ""} {
		if info, err := s.Room(ctx, room); err != nil || info.Creator != want {
			t.Fatalf("%s: creator %q, %v; want %q", room, info.Creator, err, want)
		}
	}
	if n, err := s.GroupsCreated(ctx, "a"); err != nil || n != 1 {
		t.Fatalf("GroupsCreated(a) = %d, %v; want 1", n, err)
	}
	if n, err := s.GroupsCreated(ctx, "b"); err != nil || n != 0 {
		t.Fatalf("GroupsCreated(b) = %d, %v; want 0", n, err)
	}
}

// TestGroupsCreatedPlan: a user's groups are counted from the
// rooms_creator index alone, however many groups others created.
func TestGroupsCreatedPlan(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, pgtest.NewSchema(t), Options{})
	if _, err := s.pool.Exec(ctx, `INSERT INTO rooms (id, kind, members, created, creator)
		SELECT 'g' || i, $1, ARRAY['u' || (i % 1000)], 1, 'u' || (i % 1000) FROM generate_series(1, 20000) i`, chat.KindGroup); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, "ANALYZE rooms"); err != nil {
		t.Fatal(err)
	}
	plan := pgtest.Explain(t, s.pool, sqlGroupsCreated, "u7")
	t.Logf("plan:\n%s", plan)
	if !regexp.MustCompile(`Index (Only )?Scan (using|on) rooms_creator (on rooms )?\(actual rows=20 loops=1\)`).MatchString(plan) {
		t.Error("the count does not read u7's 20 groups from rooms_creator")
	}
	if strings.Contains(plan, "Seq Scan") {
		t.Error("the plan has a Seq Scan")
	}
	if n, err := s.GroupsCreated(ctx, "u7"); err != nil || n != 20 {
		t.Fatalf("GroupsCreated(u7) = %d, %v; want 20", n, err)
	}
}
