package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/internal/loadgen"
)

// samplePoints are points of every scenario, closed and open loop.
func samplePoints() []point {
	var pts []point
	for _, s := range []struct{ scenario, series string }{{"fanout", "W=4"}, {"fanout", "W=64"}, {"chat", "memory"}, {"chat", "bolt"}, {"moves", "tictactoe"}} {
		pts = append(pts, point{Scenario: s.scenario, Series: s.series, Mode: loadgen.ModeClosed, Unit: "u", Rate: 1000, P50: 10, P99: 40})
		for _, f := range []float64{0.25, 0.5, 0.75} {
			pts = append(pts, point{Scenario: s.scenario, Series: s.series, Mode: loadgen.ModeOpen, Unit: "u",
				Fraction: f, Offered: f * 1000, Rate: f * 990, P50: f * 4, P99: f * 30, OtherCores: 0.05})
		}
	}
	return pts
}

// TestWriteOutputs: a chart per scenario, the table and the JSON are
// written, and -from reads the JSON back to the same points.
func TestWriteOutputs(t *testing.T) {
	for _, format := range []string{"svg", "png"} {
		dir := t.TempDir()
		cfg := config{out: filepath.Join(dir, "out"), format: format}
		if err := writeOutputs(cfg, newResults(samplePoints())); err != nil {
			t.Fatal(err)
		}
		for _, c := range charts {
			b, err := os.ReadFile(filepath.Join(cfg.out, c.scenario+"."+format))
			if err != nil {
				t.Fatal(err)
			}
			if format == "svg" && !strings.Contains(string(b), "<svg") || format == "png" && !strings.HasPrefix(string(b), "\x89PNG") {
				t.Fatalf("%s.%s is not an image: %.40q", c.scenario, format, b)
			}
		}
		md, err := os.ReadFile(filepath.Join(cfg.out, "results.md"))
		if err != nil {
			t.Fatal(err)
		}
		if rows := strings.Count(string(md), "\n"); rows != 2+len(samplePoints()) {
			t.Fatalf("results.md has %d lines, want %d", rows, 2+len(samplePoints()))
		}
		if !strings.Contains(string(md), "| chat | bolt | open | 500 (50% of peak) | 495 u | 2.00ms | 15.00ms | 0 | 0.05 cores |") {
			t.Fatalf("results.md:\n%s", md)
		}
		res, err := readResults(filepath.Join(cfg.out, "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Points) != len(samplePoints()) || res.Points[5] != samplePoints()[5] {
			t.Fatalf("read back %d points: %+v", len(res.Points), res.Points[5])
		}
	}
}

// TestReadResultsRejects: a missing, broken or empty results file is an
// error.
func TestReadResultsRejects(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"broken": "{", "empty": `{"points": []}`} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := readResults(path); err == nil {
			t.Errorf("%s results: no error", name)
		}
	}
	if _, err := readResults(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing results: no error")
	}
}

// TestPointX: an open-loop point sits at its offered rate, a closed-loop
// one at the rate it reached.
func TestPointX(t *testing.T) {
	open := point{Mode: loadgen.ModeOpen, Offered: 500, Rate: 450}
	closed := point{Mode: loadgen.ModeClosed, Rate: 1200}
	if open.x() != 500 || closed.x() != 1200 {
		t.Fatalf("x: open %v, closed %v", open.x(), closed.x())
	}
}

func TestValidate(t *testing.T) {
	good := config{only: scenarios, fractions: []float64{0.25, 1}, widths: []int{4}, clients: 1, dms: 1, games: 1, duration: 1, format: "svg",
		stores: []string{"memory", "bolt", "postgres"}, dsn: "postgres://localhost/x"}
	if err := good.validate(); err != nil {
		t.Fatal(err)
	}
	noChat := good
	noChat.only, noChat.dsn = []string{"fanout"}, ""
	if err := noChat.validate(); err != nil {
		t.Fatalf("postgres without -dsn, chat not run: %v", err)
	}
	for name, edit := range map[string]func(*config){
		"unknown scenario": func(c *config) { c.only = []string{"fanout", "peers"} },
		"fraction 0":       func(c *config) { c.fractions = []float64{0} },
		"fraction > 1":     func(c *config) { c.fractions = []float64{1.5} },
		"width 0":          func(c *config) { c.widths = []int{0} },
		"no games":         func(c *config) { c.games = 0 },
		"format":           func(c *config) { c.format = "pdf" },
		"pin, no spawn":    func(c *config) { c.chatPin = true },
		"unknown store":    func(c *config) { c.stores = []string{"memory", "sqlite"} },
		"postgres, no dsn": func(c *config) { c.dsn = "" },
	} {
		c := good
		edit(&c)
		if err := c.validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestParseList(t *testing.T) {
	fs, err := parseList("0.25, 0.5,0.75", strconvFloat)
	if err != nil || len(fs) != 3 || fs[1] != 0.5 {
		t.Fatalf("parseList = %v, %v", fs, err)
	}
	if _, err := parseList("1,x", strconvFloat); err == nil {
		t.Fatal("a list with a word parsed")
	}
}

// TestRunTool: runTool passes -json and reads the result; a command that
// fails after writing its result still counts, one that writes none is
// an error.
func TestRunTool(t *testing.T) {
	bin := t.TempDir()
	script := `#!/bin/sh
for a; do out=$a; done   # the last argument: the -json file
[ "$1" = nojson ] && exit 1
echo '{"tool":"fake","mode":"open","offered_per_s":10,"rate_per_s":9.5,"latency":{"p99_ms":3},"other_cores":0.2}' > "$out"
[ "$1" = fail ] && exit 1
exit 0
`
	if err := os.WriteFile(filepath.Join(bin, "fake"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, arg := range []string{"ok", "fail"} {
		r, err := runTool(bin, "fake", arg)
		if err != nil || r.Rate != 9.5 || r.Latency.P99 != 3 || r.OtherCores != 0.2 {
			t.Fatalf("%s: %+v, %v", arg, r, err)
		}
	}
	if _, err := runTool(bin, "fake", "nojson"); err == nil {
		t.Fatal("a failed command without a result: no error")
	}
}

// strconvFloat parses a float64 the way parseList wants.
func strconvFloat(s string, bits int) (float64, error) { return strconv.ParseFloat(s, bits) }

// TestRedactDSN: the value of -dsn, in either form, is never printed or
// written; other flags are left as they are.
func TestRedactDSN(t *testing.T) {
	args := []string{"-only", "chat", "-dsn", "postgres://u:pw@h/db", "--dsn=postgres://u:pw@h/db", "-out", "x", "-dsn"}
	want := []string{"-only", "chat", "-dsn", "<dsn>", "--dsn=<dsn>", "-out", "x", "-dsn"}
	got := redactDSN(args)
	if !slices.Equal(got, want) {
		t.Fatalf("redactDSN = %q, want %q", got, want)
	}
	if args[3] != "postgres://u:pw@h/db" {
		t.Fatal("redactDSN changed its argument")
	}
}
