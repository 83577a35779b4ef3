package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestRunJSON plays a short open-loop run against an in-process server
// and checks what -json wrote.
func TestRunJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.json")
	cfg := config{game: "tictactoe", games: 4, duration: 500 * time.Millisecond, dialConc: 4, seed: 1, rate: 100, jsonPath: path}
	if err := run(context.Background(), cfg, io.Discard); err != nil {
		t.Fatal(err)
	}
	var j jsonResult
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &j)
	}
	if err != nil {
		t.Fatal(err)
	}
	// 100/s for 0.5 s is 51 moves due; a sender behind schedule when the
	// run's timer fires (late, on a busy machine) may still take one or
	// two due meanwhile.
	if j.Mode != "open" || j.Offered != 100 || j.Moves == 0 || j.Moves > 53 || j.Latency.Count != j.Moves || j.Failed != 0 {
		t.Fatalf("%+v", j)
	}
}

// TestRunMemProfile: -memprofile writes a heap profile (gzipped, as
// pprof writes it) once the games have stopped.
func TestRunMemProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "heap.pprof")
	cfg := config{game: "tictactoe", games: 2, duration: 200 * time.Millisecond, dialConc: 2, seed: 1, memProf: path}
	if err := run(context.Background(), cfg, io.Discard); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Fatalf("%d bytes, not a gzipped profile", len(b))
	}
}

// TestRateExcludesThink: -rate and -think together are refused.
func TestRateExcludesThink(t *testing.T) {
	if _, err := (config{game: "tictactoe", games: 1, rate: 10, think: time.Millisecond}).validate(); err == nil {
		t.Fatal("-rate with -think: no error")
	}
}

// TestRunBoltStore: with -store bolt the in-process server writes every
// move to the bbolt file given by -db before its reply, and the bots
// finish their games.
func TestRunBoltStore(t *testing.T) {
	db := filepath.Join(t.TempDir(), "games.db")
	out := filepath.Join(t.TempDir(), "out.json")
	cfg := config{game: "tictactoe", games: 4, duration: 500 * time.Millisecond, dialConc: 4, seed: 1, store: "bolt", db: db, jsonPath: out}
	if err := run(context.Background(), cfg, io.Discard); err != nil {
		t.Fatal(err)
	}
	var j jsonResult
	b, err := os.ReadFile(out)
	if err == nil {
		err = json.Unmarshal(b, &j)
	}
	if err != nil {
		t.Fatal(err)
	}
	if j.Moves == 0 || j.Failed != 0 {
		t.Fatalf("%+v", j)
	}
	f, err := bolt.Open(db, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var logged int
	err = f.View(func(tx *bolt.Tx) error {
		logged = tx.Bucket([]byte("log")).Stats().KeyN
		return nil
	})
	if err != nil || logged < int(j.Moves) {
		t.Fatalf("%d entries in the file's log for %d moves, %v", logged, j.Moves, err)
	}
}

// TestStoreFlag: an unknown -store is refused.
func TestStoreFlag(t *testing.T) {
	if _, err := (config{game: "tictactoe", games: 1, store: "postgres"}).validate(); err == nil {
		t.Fatal("-store postgres: no error")
	}
}

// TestWarmupFlag: -warmup must be shorter than -duration, and
// -breakdown needs the in-process bbolt store.
func TestWarmupFlag(t *testing.T) {
	base := config{game: "tictactoe", games: 1, duration: time.Second, store: "bolt"}
	for _, c := range []struct {
		name string
		edit func(*config)
		ok   bool
	}{
		{"warmup shorter", func(c *config) { c.warmup = 500 * time.Millisecond }, true},
		{"warmup as long", func(c *config) { c.warmup = time.Second }, false},
		{"breakdown on bolt", func(c *config) { c.breakdown = true }, true},
		{"breakdown on memory", func(c *config) { c.breakdown, c.store = true, "memory" }, false},
	} {
		cfg := base
		c.edit(&cfg)
		if _, err := cfg.validate(); (err == nil) != c.ok {
			t.Errorf("%s: validate() = %v", c.name, err)
		}
	}
}
