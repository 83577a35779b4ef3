package pgutil

import (
	"testing"
	"testing/fstest"
)

func TestMigrationsOrderAndNames(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0002_more.sql":  {Data: []byte("B")},
		"m/0001_first.sql": {Data: []byte("A")},
	}
	list, err := Migrations(fsys, "m/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0] != (Migration{1, "0001_first", "A"}) || list[1] != (Migration{2, "0002_more", "B"}) {
		t.Fatalf("migrations = %+v", list)
	}
}

func TestMigrationsRefuseBadSets(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"m/0001_a.sql": {}, "m/0003_c.sql": {}},
		"no number": {"m/first.sql": {}},
		"zero":      {"m/0000_a.sql": {}},
		"twice":     {"m/0001_a.sql": {}, "m/0001_b.sql": {}},
	} {
		if list, err := Migrations(fsys, "m/*.sql"); err == nil {
			t.Errorf("%s: migrations = %+v, want an error", name, list)
		}
	}
}

func TestLockKeyPerOwnerAndSchema(t *testing.T) {
	chat, games := LockKey("chat/pgstore", "s"), LockKey("games/pgstore", "s")
	if chat == games {
		t.Fatal("two owners share a lock key")
	}
	if LockKey("chat/pgstore", "t") == chat {
		t.Fatal("two schemas share a lock key")
	}
	if LockKey("chat/pgstore", "s") != chat {
		t.Fatal("a lock key is not stable")
	}
}
