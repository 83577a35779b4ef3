package loadgen

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runProgress runs a Progress until it has printed lines times, and
// returns what it printed.
func runProgress(t *testing.T, terminal bool, lines int) string {
	t.Helper()
	var out syncBuffer
	var n atomic.Int64
	rec := NewRecorder(0)
	stop := Progress{Out: &out, Terminal: terminal, Every: 5 * time.Millisecond, Label: "msgs", Count: n.Load, Latency: rec}.Start()
	sep := "\n"
	if terminal {
		sep = "\r"
	}
	for i := 0; strings.Count(out.String(), sep) < lines; i++ {
		n.Add(10)
		if i > 0 {
			rec.Record(i, 3*time.Millisecond)
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	stop() // a second stop does nothing
	return out.String()
}

// lineRE is one progress line.
var lineRE = regexp.MustCompile(`^ +\d+\.\ds  msgs \d+  \d+/s( avg)?  p99 (-|3\.00ms)$`)

// TestProgressLines: away from a terminal, progress is plain lines.
func TestProgressLines(t *testing.T) {
	out := runProgress(t, false, 3)
	if strings.ContainsAny(out, "\r\x1b") {
		t.Fatalf("control characters in plain output %q", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for _, l := range lines {
		if !lineRE.MatchString(l) {
			t.Fatalf("line %q", l)
		}
	}
	if !strings.HasSuffix(lines[len(lines)-1], "p99 3.00ms") {
		t.Fatalf("last line %q has not the recorded p99", lines[len(lines)-1])
	}
}

// TestProgressTerminal: on a terminal, each print rewrites the line, and
// stop ends it with a newline.
func TestProgressTerminal(t *testing.T) {
	out := runProgress(t, true, 3)
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\x1b[K\n") {
		t.Fatalf("want one newline, at the end: %q", out)
	}
	if strings.Count(out, "/s avg") != 1 || !strings.Contains(out[strings.LastIndex(out, "\r"):], "/s avg") {
		t.Fatalf("want the average rate on the last line only: %q", out)
	}
	for _, l := range strings.Split(strings.TrimPrefix(out, "\r"), "\r") {
		l = strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "\x1b[K")
		if !lineRE.MatchString(l) {
			t.Fatalf("line %q", l)
		}
	}
}

// TestIsTerminal: a regular file is not a terminal.
func TestIsTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Fatal("a file is a terminal")
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                        "0us",
		850 * time.Microsecond:   "850us",
		12345 * time.Microsecond: "12.35ms",
		2500 * time.Millisecond:  "2.50s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
