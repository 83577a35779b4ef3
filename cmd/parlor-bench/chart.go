package main

import (
	"cmp"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/parlorhq/parlor/internal/loadgen"
)

// chart is one figure: a scenario's latency against offered rate.
type chart struct {
	scenario string
	title    string
	unit     string // what the rate counts, for the axis label
}

// charts are the figures parlor-bench draws, one file each.
var charts = []chart{
	{"fanout", "Fan-out: one room, send to receive at every member", "broadcasts"},
	{"chat", "Chat DMs: send to ack (persisted), by store", "messages"},
	{"moves", "Tic-tac-toe: move to both players updated", "moves"},
}

// draw plots c's points into path (.svg or .png): p50 (solid) and p99
// (dashed) of the open-loop runs of each series against the offered
// rate, and the closed-loop runs as hollow marks at the rate they reached.
// The latency axis is logarithmic.
func (c chart) draw(path string, pts []point) error {
	p := plot.New()
	p.Title.Text = c.title
	p.X.Label.Text = "offered rate (" + c.unit + "/s)"
	p.Y.Label.Text = "latency (ms), log scale"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.X.Tick.Marker = wholeTicks{}
	p.Legend.Top, p.Legend.Left = true, true
	for i, s := range seriesOf(pts) {
		if err := addSeries(p, s, pts, i); err != nil {
			return err
		}
	}
	// Room above the data for the legend (a decade and a half on the log
	// axis), and beside it for the last marks.
	p.X.Min, p.X.Max = 0, p.X.Max*1.05
	p.Y.Max *= 30
	return p.Save(8*vg.Inch, 5*vg.Inch, path)
}

// wholeTicks are the default ticks labelled as whole numbers.
type wholeTicks struct{}

// Ticks returns the ticks of plot.DefaultTicks without decimals.
func (wholeTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'f', 0, 64)
		}
	}
	return ts
}

// seriesOf lists the series of pts in the order they first appear.
func seriesOf(pts []point) []string {
	var out []string
	for _, p := range pts {
		if !slices.Contains(out, p.Series) {
			out = append(out, p.Series)
		}
	}
	return out
}

// addSeries adds series s of pts to p in the i-th color.
func addSeries(p *plot.Plot, s string, pts []point, i int) error {
	var open, closed []point
	for _, pt := range pts {
		switch {
		case pt.Series != s || pt.P50 <= 0:
		case pt.Mode == loadgen.ModeOpen:
			open = append(open, pt)
		default:
			closed = append(closed, pt)
		}
	}
	slices.SortFunc(open, func(a, b point) int { return cmp.Compare(a.x(), b.x()) })
	if err := addLines(p, s, open, i); err != nil {
		return err
	}
	return addMarks(p, s, closed, i)
}

// addLines draws the p50 and p99 lines of open-loop points.
func addLines(p *plot.Plot, s string, pts []point, i int) error {
	if len(pts) == 0 {
		return nil
	}
	for _, q := range []struct {
		name   string
		y      func(point) float64
		dashed bool
	}{{"p50", func(pt point) float64 { return pt.P50 }, false}, {"p99", func(pt point) float64 { return pt.P99 }, true}} {
		l, sc, err := plotter.NewLinePoints(xys(pts, q.y))
		if err != nil {
			return err
		}
		l.Color, sc.Color = plotutil.Color(i), plotutil.Color(i)
		sc.Shape = draw.CircleGlyph{}
		if q.dashed {
			l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			sc.Shape = draw.TriangleGlyph{}
		}
		p.Add(l, sc)
		p.Legend.Add(s+" open loop "+q.name, l, sc)
	}
	return nil
}

// addMarks draws closed-loop points as hollow marks: a ring for p50, a
// box for p99.
func addMarks(p *plot.Plot, s string, pts []point, i int) error {
	if len(pts) == 0 {
		return nil
	}
	p50, err := plotter.NewScatter(xys(pts, func(pt point) float64 { return pt.P50 }))
	if err != nil {
		return err
	}
	p99, err := plotter.NewScatter(xys(pts, func(pt point) float64 { return pt.P99 }))
	if err != nil {
		return err
	}
	p50.Color, p99.Color = plotutil.Color(i), plotutil.Color(i)
	p50.Shape, p99.Shape = draw.RingGlyph{}, draw.BoxGlyph{}
	p50.Radius, p99.Radius = vg.Points(4), vg.Points(3)
	p.Add(p50, p99)
	p.Legend.Add(s+" closed loop p50 / p99", p50, p99)
	return nil
}

// xys are the chart coordinates of pts, y chosen by y.
func xys(pts []point, y func(point) float64) plotter.XYs {
	out := make(plotter.XYs, len(pts))
	for i, pt := range pts {
		out[i].X, out[i].Y = pt.x(), y(pt)
	}
	return out
}
