package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/parlorhq/parlor/internal/loadgen/pintest"
)

// TestMain lets the test binary be its own -spawn child: -spawn runs this
// executable with -serve, which here serves instead of running the tests.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "-serve" {
		if err := serveChild(parseFlags()); err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if dir := pintest.Dir(); dir != "" {
		os.Exit(pinnedRun(dir))
	}
	os.Exit(m.Run())
}

// pinnedRun is the process TestRunPin starts: a -spawn -pin run with
// durable moves whose report goes to stdout and JSON result to dir. It
// plays for 2 s: on a busy machine a pinned process cannot move to an
// idle core, and the first matches' joins can take most of a second.
func pinnedRun(dir string) int {
	cfg := config{game: "tictactoe", games: 4, duration: 2 * time.Second, dialConc: 4, seed: 1,
		store: "bolt", db: filepath.Join(dir, "games.db"), jsonPath: filepath.Join(dir, "out.json"),
		spawn: true, pin: true}
	if err := run(context.Background(), cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pinned run:", err)
		return 1
	}
	return 0
}

// TestRunPin: a -spawn -pin run (in a process of its own) plays its
// moves with GOMAXPROCS 1 in the bots' process and reports the two CPUs
// it chose; on a machine with fewer than two it fails with ErrPinCPUs.
func TestRunPin(t *testing.T) {
	dir, out, ok := pintest.Run(t)
	if !ok {
		return
	}
	var j jsonResult
	b, err := os.ReadFile(filepath.Join(dir, "out.json"))
	if err == nil {
		err = json.Unmarshal(b, &j)
	}
	if err != nil {
		t.Fatal(err)
	}
	if j.Moves == 0 || j.Failed != 0 || j.Pins == nil || j.Pins.Server == j.Pins.Gen {
		t.Fatalf("%+v", j)
	}
	if !strings.Contains(string(out), "GOMAXPROCS 1\n") {
		t.Errorf("the bots' process did not run with GOMAXPROCS 1:\n%s", out)
	}
}

// TestRunSpawn: with -spawn the server runs in a child process, which
// writes every move to the bbolt file given by -db before its reply, and
// has closed the file once the run is over.
func TestRunSpawn(t *testing.T) {
	db := filepath.Join(t.TempDir(), "games.db")
	out := filepath.Join(t.TempDir(), "out.json")
	cfg := config{game: "tictactoe", games: 4, duration: 500 * time.Millisecond, dialConc: 4, seed: 1,
		store: "bolt", db: db, jsonPath: out, spawn: true}
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
	// The child has exited: its lock on the file is gone.
	f, err := bolt.Open(db, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
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

// TestPinNeedsSpawn: -pin without -spawn is refused.
func TestPinNeedsSpawn(t *testing.T) {
	cfg := config{game: "tictactoe", games: 1, duration: time.Second, store: "bolt", pin: true}
	if _, err := cfg.validate(); err == nil || !strings.Contains(err.Error(), "-pin needs -spawn") {
		t.Errorf("-pin alone: %v", err)
	}
}

// TestSpawnFlags: -spawn excludes -url and -breakdown.
func TestSpawnFlags(t *testing.T) {
	base := config{game: "tictactoe", games: 1, duration: time.Second, store: "bolt", spawn: true}
	if _, err := base.validate(); err != nil {
		t.Fatalf("-spawn: %v", err)
	}
	withURL := base
	withURL.url = "ws://127.0.0.1:1/"
	withBreakdown := base
	withBreakdown.breakdown = true
	for name, c := range map[string]config{"-url": withURL, "-breakdown": withBreakdown} {
		if _, err := c.validate(); err == nil {
			t.Errorf("-spawn with %s: no error", name)
		}
	}
}
