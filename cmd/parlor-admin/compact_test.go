package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/boltstore"
)

const (
	rooms   = 20
	perRoom = 200
	kept    = 5
)

// fill writes rooms DMs of user u with perRoom long messages each, then
// trims all but the newest kept of each, as retention would: most of the
// file is free pages. It returns the store's epoch.
func fill(t *testing.T, path string) string {
	t.Helper()
	ctx := context.Background()
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	text := strings.Repeat("x", 1000)
	// One writer per room, so that the store commits them in groups.
	var wg sync.WaitGroup
	errs := make(chan error, rooms)
	for r := range rooms {
		id := fmt.Sprint("dm", r)
		info := &chat.RoomInfo{ID: id, Kind: chat.KindDM, Members: []string{"u", fmt.Sprint("p", r)}, Created: 1}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := uint64(1); seq <= perRoom; seq++ {
				e := chat.Message{Room: id, Seq: seq, ID: fmt.Sprint(id, "-", seq), Kind: chat.KindMessage, From: "u", Time: int64(seq), Text: fmt.Sprint(seq, text)}
				w := chat.Write{Entry: e}
				if seq == 1 {
					w.Room = info
				}
				if _, _, err := s.Append(ctx, w); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n, err := s.Trim(ctx, map[string]chat.TrimRule{chat.KindDM: {Keep: kept}}); err != nil || n != rooms*(perRoom-kept) {
		t.Fatalf("Trim: %d, %v", n, err)
	}
	return s.Epoch()
}

// intact checks that the store at path holds what fill left.
func intact(t *testing.T, path, epoch string) {
	t.Helper()
	ctx := context.Background()
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Epoch() != epoch {
		t.Fatalf("epoch %q, want %q", s.Epoch(), epoch)
	}
	list, err := s.Conversations(ctx, "u", 0, 10)
	if err != nil || len(list) != rooms {
		t.Fatalf("u has %d conversations, %v; want %d", len(list), err, rooms)
	}
	for r := range rooms {
		id := fmt.Sprint("dm", r)
		h, err := s.History(ctx, id, 0, 100)
		if err != nil || len(h) != kept || h[0].Seq != perRoom-kept+1 || !strings.HasPrefix(h[kept-1].Text, fmt.Sprint(perRoom, "x")) {
			t.Fatalf("%s: %d entries, %v", id, len(h), err)
		}
	}
	// The compacted file takes writes.
	e := chat.Message{Room: "dm0", Seq: perRoom + 1, ID: "next", Kind: chat.KindMessage, From: "u", Time: 1e6, Text: "next"}
	if _, _, err := s.Append(ctx, chat.Write{Entry: e}); err != nil {
		t.Fatal(err)
	}
}

func size(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestCompactInPlace: compact shrinks a file full of free pages to a
// fraction of its size and keeps every key, its mode and its epoch.
func TestCompactInPlace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "chat.db")
	epoch := fill(t, path)
	before := size(t, path)
	var out, errOut bytes.Buffer
	if code := run([]string{"compact", path}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	after := size(t, path)
	if after*4 > before {
		t.Fatalf("file went from %d to %d bytes, want at most a quarter", before, after)
	}
	if !strings.Contains(out.String(), "compacted "+path+" in place") {
		t.Fatalf("output %q", out.String())
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600 as before", fi.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.compact-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	intact(t, path, epoch)
}

// TestCompactOut: with -out, the copy goes to a new file and the source
// is untouched; an existing -out is refused.
func TestCompactOut(t *testing.T) {
	dir := t.TempDir()
	path, out := filepath.Join(dir, "chat.db"), filepath.Join(dir, "small.db")
	epoch := fill(t, path)
	before := size(t, path)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"compact", "-out", out, path}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if size(t, path) != before || size(t, out)*4 > before {
		t.Fatalf("source %d -> %d bytes, copy %d", before, size(t, path), size(t, out))
	}
	intact(t, out, epoch)
	intact(t, path, epoch)
	stderr.Reset()
	if code := run([]string{"compact", "-out", out, path}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "exists") {
		t.Fatalf("existing -out: exit %d, %q", code, stderr.String())
	}
}

// TestCompactInUse: a file a server has open is refused, and left as it
// was.
func TestCompactInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	fill(t, path)
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before := size(t, path)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"compact", "-lock-timeout", "50ms", path}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "in use") {
		t.Fatalf("exit %d, %q", code, stderr.String())
	}
	if size(t, path) != before {
		t.Fatal("the file changed")
	}
}

// TestStats: stats names every bucket with its keys, and the free pages
// that compact gives back.
func TestStats(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	fill(t, path)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"stats", path}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	got := stdout.String()
	for _, want := range []string{"log", "inbox", "rooms", fmt.Sprint(rooms * kept), "free", "only compact gives it back"} {
		if !strings.Contains(got, want) {
			t.Fatalf("stats output lacks %q:\n%s", want, got)
		}
	}
}

// TestUsage: bad usage exits 2.
func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"defrag"}, {"compact"}, {"stats", "a", "b"}, {"compact", "-nope", "x"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Fatalf("%q: exit %d, want 2", args, code)
		}
	}
}
