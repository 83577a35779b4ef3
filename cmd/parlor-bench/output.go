package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/parlorhq/parlor/internal/loadgen"
)

// results is what results.json holds.
type results struct {
	Date    string  `json:"date"`
	Go      string  `json:"go"`
	CPUs    int     `json:"cpus"`
	Command string  `json:"command"`
	Points  []point `json:"points"`
}

// newResults are the results of a run of this command that made pts.
func newResults(pts []point) results {
	return results{
		Date: time.Now().UTC().Format(time.RFC3339), Go: runtime.Version(), CPUs: runtime.NumCPU(),
		Command: "parlor-bench " + strings.Join(redactDSN(os.Args[1:]), " "), Points: pts,
	}
}

// readResults reads a results.json.
func readResults(path string) (results, error) {
	var res results
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &res)
	}
	if err == nil && len(res.Points) == 0 {
		err = errors.New("no points")
	}
	if err != nil {
		return res, fmt.Errorf("-from %s: %w", path, err)
	}
	return res, nil
}

// writeOutputs writes results.json, results.md and one chart per
// scenario into -out.
func writeOutputs(cfg config, res results) error {
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return err
	}
	if err := loadgen.WriteJSON(filepath.Join(cfg.out, "results.json"), res); err != nil {
		return err
	}
	pts := res.Points
	f, err := os.Create(filepath.Join(cfg.out, "results.md"))
	if err != nil {
		return err
	}
	writeTable(f, pts)
	if err := f.Close(); err != nil {
		return err
	}
	for _, c := range charts {
		if pts := scenarioPoints(pts, c.scenario); len(pts) > 0 {
			if err := c.draw(filepath.Join(cfg.out, c.scenario+"."+cfg.format), pts); err != nil {
				return fmt.Errorf("chart %s: %w", c.scenario, err)
			}
		}
	}
	return nil
}

// scenarioPoints are the points of scenario s.
func scenarioPoints(pts []point, s string) []point {
	var out []point
	for _, p := range pts {
		if p.Scenario == s {
			out = append(out, p)
		}
	}
	return out
}

// writeTable writes the points as a Markdown table.
func writeTable(w io.Writer, pts []point) {
	fmt.Fprintln(w, "| scenario | series | loop | offered/s | done/s | p50 | p99 | errors | other CPU |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, p := range pts {
		offered := "–"
		if p.Mode == loadgen.ModeOpen {
			offered = fmt.Sprintf("%.0f (%.0f%% of peak)", p.Offered, p.Fraction*100)
		}
		other := "–"
		if p.OtherCores > 0 {
			other = fmt.Sprintf("%.2f cores", p.OtherCores)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %.0f %s | %s | %s | %d | %s |\n",
			p.Scenario, p.Series, p.Mode, offered, p.Rate, p.Unit, fmtMS(p.P50), fmtMS(p.P99), p.Errors, other)
	}
}

// fmtMS shows a latency in milliseconds.
func fmtMS(ms float64) string {
	return loadgen.FormatDuration(time.Duration(ms * 1e6))
}
