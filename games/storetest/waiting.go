package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/parlorhq/parlor/games"
)

// testInfo: Info returns the record alone, whatever the log holds; an
// unknown id is not found.
func testInfo(t *testing.T, s games.Store) {
	want := info("m1", "alice", "bob")
	mustCreate(t, s, want)
	mustAppend(t, s, games.Write{Match: "m1", Entries: []games.Entry{entry(1), entry(2)}})
	got, err := s.Info(ctx, "m1")
	if err != nil || !equalInfo(got, want) {
		t.Fatalf("Info = %+v, %v; want %+v", got, err, want)
	}
	if _, err := s.Info(ctx, "nope"); !errors.Is(err, games.ErrNotFound) {
		t.Fatalf("Info unknown: %v, want ErrNotFound", err)
	}
}

// testWaiting: Waiting lists the matches of a kind with an empty log,
// created at or after since, oldest first then by id, up to limit; a match
// leaves the list with its first entry.
func testWaiting(t *testing.T, s games.Store) {
	mk := func(id, kind string, created int64) {
		m := info(id, "alice", "bob")
		m.Kind, m.Created = kind, created
		mustCreate(t, s, m)
	}
	mk("w3", "games.test", 3000)
	mk("w1", "games.test", 1000)
	mk("w2b", "games.test", 2000)
	mk("w2a", "games.test", 2000)
	mk("old", "games.test", 500)
	mk("other", "games.other", 2000)
	mk("started", "games.test", 2500)
	mustAppend(t, s, games.Write{Match: "started", Entries: []games.Entry{entry(1)}})

	ids := func(since int64, limit int) []string {
		t.Helper()
		list, err := s.Waiting(ctx, "games.test", since, limit)
		if err != nil {
			t.Fatalf("Waiting(%d, %d): %v", since, limit, err)
		}
		out := []string{}
		for _, m := range list {
			if m.ID == "w1" && !equalInfo(m, info("w1", "alice", "bob")) {
				t.Fatalf("Waiting record w1 = %+v", m)
			}
			out = append(out, m.ID)
		}
		return out
	}
	if got, want := ids(1000, 10), []string{"w1", "w2a", "w2b", "w3"}; !slices.Equal(got, want) {
		t.Fatalf("Waiting = %v, want %v", got, want)
	}
	if got, want := ids(0, 2), []string{"old", "w1"}; !slices.Equal(got, want) {
		t.Fatalf("Waiting limit 2 = %v, want %v", got, want)
	}
	if got := ids(0, 0); len(got) != 0 {
		t.Fatalf("Waiting limit 0 = %v", got)
	}
	mustAppend(t, s, games.Write{Match: "w2a", Entries: []games.Entry{entry(1)}})
	if got, want := ids(1000, 10), []string{"w1", "w2b", "w3"}; !slices.Equal(got, want) {
		t.Fatalf("after w2a's first entry, Waiting = %v, want %v", got, want)
	}
}
