package wal

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

// write appends the records of payloads in generation gen at off, synced,
// and returns the offset after them.
func write(t *testing.T, l *Log, gen uint64, off int64, payloads ...string) int64 {
	t.Helper()
	var buf []byte
	for _, p := range payloads {
		buf = AppendRecord(buf, gen, []byte(p))
	}
	if err := l.Write(buf, off); err != nil {
		t.Fatal(err)
	}
	return off + int64(len(buf))
}

// payloads returns the payloads of recs.
func payloads(recs []Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, string(r.Payload))
	}
	return out
}

func TestRecordRoundTrip(t *testing.T) {
	buf := AppendRecord(nil, 7, []byte("hello"))
	if int64(len(buf)) != RecordSize([]byte("hello")) {
		t.Fatalf("record of %d bytes, RecordSize says %d", len(buf), RecordSize([]byte("hello")))
	}
	gen, p, next, err := ReadRecord(bytes.NewReader(buf), 0, int64(len(buf)))
	if err != nil || gen != 7 || string(p) != "hello" || next != int64(len(buf)) {
		t.Fatalf("ReadRecord: gen %d, %q, next %d, %v", gen, p, next, err)
	}
	// Cut short, or past the limit: not a record.
	if _, _, _, err := ReadRecord(bytes.NewReader(buf), 0, int64(len(buf))-1); !errors.Is(err, ErrEndOfLog) {
		t.Fatalf("a record crossing the limit: %v", err)
	}
	// One bit changed in the payload: not a record.
	bad := bytes.Clone(buf)
	bad[FrameSize+1] ^= 1
	if _, _, _, err := ReadRecord(bytes.NewReader(bad), 0, int64(len(bad))); !errors.Is(err, ErrEndOfLog) {
		t.Fatalf("a record with a bad CRC: %v", err)
	}
	// The generation is under the CRC too.
	bad = bytes.Clone(buf)
	bad[8] ^= 1
	if _, _, _, err := ReadRecord(bytes.NewReader(bad), 0, int64(len(bad))); !errors.Is(err, ErrEndOfLog) {
		t.Fatalf("a record with a changed generation: %v", err)
	}
}

// TestUnapplied: the records after the applied position, over both halves
// in order of generation; an older generation's records left further on
// in a half are not read as the newer one's.
func TestUnapplied(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	l, err := Open(path, 4096, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	mid, _ := l.Half(1)
	// Generation 1 filled half 0 with a, b, c, d; generation 2 wrote e, f
	// in half 1; generation 3 went back to half 0 and wrote g over a.
	write(t, l, 1, 0, "aaaa", "bbbb", "cccc", "dddd")
	afterF := write(t, l, 2, mid, "eeee", "ffff")
	afterG := write(t, l, 3, 0, "gggg")
	for _, c := range []struct {
		gen  uint64
		off  int64
		want string
	}{
		{0, 0, "[eeee ffff gggg]"},   // nothing applied: gen 1's top record is gone, gen 2 and 3 are read
		{2, mid, "[eeee ffff gggg]"}, // gen 2 applied up to its top
		{2, mid + RecordSize([]byte("eeee")), "[ffff gggg]"},
		{2, afterF, "[gggg]"},
		{3, afterG, "[]"},
	} {
		recs, top, err := l.Unapplied(c.gen, c.off)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(payloads(recs)); got != c.want || top != 3 {
			t.Errorf("Unapplied(%d, %d) = %s, top %d; want %s, top 3", c.gen, c.off, got, top, c.want)
		}
	}
	if _, _, err := l.Unapplied(2, 10); err == nil {
		t.Error("an applied position outside its generation's half was accepted")
	}
	// Scan reads back a range of the current generation.
	recs, err := l.Scan(2, mid, afterF)
	if err != nil || fmt.Sprint(payloads(recs)) != "[eeee ffff]" || recs[1].End != afterF {
		t.Fatalf("Scan: %v, %v", payloads(recs), err)
	}
}

// TestReopenAndReset: a log that was there keeps its size until Reset,
// which clears it and takes the size asked for.
func TestReopenAndReset(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	l, err := Open(path, 4096, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	write(t, l, 1, 0, "aaaa")
	_ = l.Close()
	l, err = Open(path, 8192, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Size() != 4096 {
		t.Fatalf("reopened log of %d bytes, want its own 4096 until Reset", l.Size())
	}
	if recs, _, _ := l.Unapplied(0, 0); len(recs) != 1 {
		t.Fatalf("records before Reset: %v", payloads(recs))
	}
	if err := l.Reset(); err != nil {
		t.Fatal(err)
	}
	if recs, _, _ := l.Unapplied(0, 0); l.Size() != 8192 || len(recs) != 0 {
		t.Fatalf("after Reset: size %d, records %v", l.Size(), payloads(recs))
	}
}

// TestResetSmaller: a log reopened with a smaller size is cut down to it
// at Reset, so that the next Open lays its halves out where they were
// written: a record in the second half of the smaller log is found there.
func TestResetSmaller(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	l, err := Open(path, 8192, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	write(t, l, 1, 0, "aaaa")
	_ = l.Close()
	if l, err = Open(path, 2048, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := l.Reset(); err != nil {
		t.Fatal(err)
	}
	mid, _ := l.Half(1)
	write(t, l, 3, 0, "bbbb")
	write(t, l, 4, mid, "cccc")
	_ = l.Close()
	if l, err = Open(path, 2048, 0o600); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Size() != 2048 {
		t.Fatalf("reopened log of %d bytes, want the 2048 it was cut to", l.Size())
	}
	recs, _, err := l.Unapplied(3, 0)
	if err != nil || fmt.Sprint(payloads(recs)) != "[bbbb cccc]" {
		t.Fatalf("Unapplied after the smaller size: %v, %v; want [bbbb cccc]", payloads(recs), err)
	}
}
