// Command table reads the JSON reports that gen wrote into a results
// folder, prints the peers benchmark's tables in Markdown (the median of
// each cell and its spread, min–max, over the repetitions), and writes
// the summary as JSON.
//
// Usage: table -dir results/<run> [-json summary.json]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// summaryName is the file run.sh asks table to write beside the reports;
// it is not a report.
const summaryName = "summary.json"

// report mirrors the fields of gen's report that the tables use.
type report struct {
	Server  string `json:"server"`
	Mode    string `json:"mode"`
	Clients int    `json:"clients"`
	Window  int    `json:"window"`
	LoadAvg string `json:"loadavg"`
	Fanout  *struct {
		Lost              int64   `json:"lost"`
		DeliveriesPerSec  float64 `json:"deliveries_per_sec"`
		DeliveriesPerCPUS float64 `json:"deliveries_per_cpu_s"`
		ServerCores       float64 `json:"server_cores"`
		GenCores          float64 `json:"gen_cores"`
		P50ms             float64 `json:"p50_ms"`
		P99ms             float64 `json:"p99_ms"`
	} `json:"fanout"`
	Idle *struct {
		RoomSize   int     `json:"room_size"`
		KiBPerConn float64 `json:"kib_per_conn"`
	} `json:"idle"`
}

// stat is the median and spread of one measure over the repetitions.
type stat struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Runs   int     `json:"runs"`
}

func summarize(vs []float64) stat {
	s := slices.Clone(vs)
	sort.Float64s(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return stat{Median: med, Min: s[0], Max: s[n-1], Runs: n}
}

// fanoutCell is one server at one window.
type fanoutCell struct {
	Server           string `json:"server"`
	Window           int    `json:"window"`
	Clients          int    `json:"clients"`
	DeliveriesPerSec stat   `json:"deliveries_per_sec"`
	PerCPUSecond     stat   `json:"deliveries_per_cpu_s"`
	ServerCores      stat   `json:"server_cores"`
	GenCores         stat   `json:"gen_cores"`
	P50ms            stat   `json:"p50_ms"`
	P99ms            stat   `json:"p99_ms"`
	Lost             int64  `json:"lost"`
}

// idleCell is one server's idle memory.
type idleCell struct {
	Server     string `json:"server"`
	Conns      int    `json:"conns"`
	RoomSize   int    `json:"room_size"`
	KiBPerConn stat   `json:"kib_per_conn"`
}

// summary is the JSON that -json writes.
type summary struct {
	Fanout  []fanoutCell `json:"fanout"`
	Idle    []idleCell   `json:"idle"`
	LoadAvg []string     `json:"loadavg"` // as each run began
}

func main() {
	dir := flag.String("dir", "", "folder of gen's JSON reports")
	out := flag.String("json", "", "write the summary as JSON to this file")
	flag.Parse()
	reps, err := load(*dir)
	if err == nil && len(reps) == 0 {
		err = fmt.Errorf("no reports in %s", *dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "table:", err)
		os.Exit(1)
	}
	sum := build(reps)
	print(os.Stdout, sum)
	if *out != "" {
		b, err := json.MarshalIndent(sum, "", "  ")
		if err == nil {
			err = os.WriteFile(*out, append(b, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "table:", err)
			os.Exit(1)
		}
	}
}

// load reads every *.json report in dir.
func load(dir string) ([]report, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var reps []report
	for _, p := range paths {
		if filepath.Base(p) == summaryName {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var r report
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if r.Mode != "" {
			reps = append(reps, r)
		}
	}
	return reps, nil
}

// build groups the reports into cells, in a stable order.
func build(reps []report) summary {
	type key struct {
		server string
		window int
	}
	fan := map[key][]report{}
	idle := map[string][]report{}
	var sum summary
	for _, r := range reps {
		sum.LoadAvg = append(sum.LoadAvg, r.LoadAvg)
		switch {
		case r.Fanout != nil:
			k := key{r.Server, r.Window}
			fan[k] = append(fan[k], r)
		case r.Idle != nil:
			idle[r.Server] = append(idle[r.Server], r)
		}
	}
	for k, rs := range fan {
		c := fanoutCell{Server: k.server, Window: k.window, Clients: rs[0].Clients}
		var dps, pcs, sc, gc, p50, p99 []float64
		for _, r := range rs {
			f := r.Fanout
			dps, pcs = append(dps, f.DeliveriesPerSec), append(pcs, f.DeliveriesPerCPUS)
			sc, gc = append(sc, f.ServerCores), append(gc, f.GenCores)
			p50, p99 = append(p50, f.P50ms), append(p99, f.P99ms)
			c.Lost += f.Lost
		}
		c.DeliveriesPerSec, c.PerCPUSecond = summarize(dps), summarize(pcs)
		c.ServerCores, c.GenCores = summarize(sc), summarize(gc)
		c.P50ms, c.P99ms = summarize(p50), summarize(p99)
		sum.Fanout = append(sum.Fanout, c)
	}
	sort.Slice(sum.Fanout, func(i, j int) bool {
		a, b := sum.Fanout[i], sum.Fanout[j]
		if a.Window != b.Window {
			return a.Window < b.Window
		}
		return a.Server < b.Server
	})
	for server, rs := range idle {
		var kib []float64
		for _, r := range rs {
			kib = append(kib, r.Idle.KiBPerConn)
		}
		sum.Idle = append(sum.Idle, idleCell{Server: server, Conns: rs[0].Clients, RoomSize: rs[0].Idle.RoomSize, KiBPerConn: summarize(kib)})
	}
	sort.Slice(sum.Idle, func(i, j int) bool { return sum.Idle[i].Server < sum.Idle[j].Server })
	return sum
}

// print writes the tables in Markdown.
func print(w io.Writer, sum summary) {
	if len(sum.Fanout) > 0 {
		fmt.Fprintf(w, "Fan-out: one room of %d members, median (min – max) over the runs\n\n", sum.Fanout[0].Clients)
		fmt.Fprintln(w, "| W | server | runs | deliveries/s | per server CPU-s | server cores | p50 ms | p99 ms | generator cores | lost |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
		for _, c := range sum.Fanout {
			fmt.Fprintf(w, "| %d | %s | %d | %s | %s | %s | %s | %s | %s | %d |\n", c.Window, c.Server, c.P50ms.Runs,
				rate(c.DeliveriesPerSec), rate(c.PerCPUSecond), num(c.ServerCores, 2),
				num(c.P50ms, 1), num(c.P99ms, 1), num(c.GenCores, 2), c.Lost)
		}
		fmt.Fprintln(w)
	}
	if len(sum.Idle) > 0 {
		fmt.Fprintf(w, "Idle memory: connections in rooms of %d on a freshly started server, median (min – max) over the runs\n\n",
			sum.Idle[0].RoomSize)
		fmt.Fprintln(w, "| server | runs | connections | RSS per connection, KiB |")
		fmt.Fprintln(w, "|---|---|---|---|")
		for _, c := range sum.Idle {
			fmt.Fprintf(w, "| %s | %d | %d | %s |\n", c.Server, c.KiBPerConn.Runs, c.Conns, num(c.KiBPerConn, 1))
		}
		fmt.Fprintln(w)
	}
}

// rate formats a per-second figure in k or M.
func rate(s stat) string {
	f := func(v float64) string {
		if v >= 1e6 {
			return fmt.Sprintf("%.2fM", v/1e6)
		}
		return fmt.Sprintf("%.0fk", v/1e3)
	}
	return spread(s, f)
}

// num formats a figure with prec decimals.
func num(s stat, prec int) string {
	return spread(s, func(v float64) string { return fmt.Sprintf("%.*f", prec, v) })
}

func spread(s stat, f func(float64) string) string {
	if s.Runs == 1 {
		return f(s.Median)
	}
	return strings.Join([]string{f(s.Median), " (", f(s.Min), " – ", f(s.Max), ")"}, "")
}
