package main

import (
	"fmt"
	"os"
	"strconv"
)

// bench runs the scenarios and collects their points.
type bench struct {
	cfg    config
	points []point
}

// add runs one command and keeps its point.
func (b *bench) add(scenario, series string, fraction float64, tool string, args ...string) (point, error) {
	r, err := runTool(b.cfg.bin, tool, args...)
	if err != nil {
		return point{}, err
	}
	p := newPoint(scenario, series, fraction, r)
	fmt.Fprintln(os.Stderr, "=>", p)
	b.points = append(b.points, p)
	return p, nil
}

// sweep runs the open-loop rates: each fraction of peak, with args and
// -rate.
func (b *bench) sweep(scenario, series, tool string, peak float64, args ...string) error {
	for _, f := range b.cfg.fractions {
		rate := strconv.FormatFloat(f*peak, 'f', 0, 64)
		if _, err := b.add(scenario, series, f, tool, append(args, "-rate", rate)...); err != nil {
			return err
		}
	}
	return nil
}

// fanout: one room of -clients; closed loops at each W, then the open
// loop at fractions of the best of them, with the largest W of senders.
func (b *bench) fanout() error {
	common := []string{"-clients", strconv.Itoa(b.cfg.clients), "-duration", b.cfg.duration.String()}
	peak, widest := 0.0, 0
	for _, w := range b.cfg.widths {
		p, err := b.add("fanout", "W="+strconv.Itoa(w), 0, toolLoad, append(common, "-inflight", strconv.Itoa(w))...)
		if err != nil {
			return err
		}
		peak, widest = max(peak, p.Rate), max(widest, w)
	}
	return b.sweep("fanout", "W="+strconv.Itoa(widest), toolLoad, peak, append(common, "-inflight", strconv.Itoa(widest))...)
}

// chat: -dms direct conversations on each of -stores; the closed loop finds
// the store's peak, then the open loop runs at fractions of it.
func (b *bench) chat() error {
	for _, store := range b.cfg.stores {
		args := []string{"-store", store, "-rooms", strconv.Itoa(b.cfg.dms), "-size", "2",
			"-duration", b.cfg.duration.String(), "-warmup", b.cfg.warmup.String()}
		if store == "postgres" {
			args = append(args, "-dsn", b.cfg.dsn)
		}
		if b.cfg.chatSpawn {
			args = append(args, "-spawn")
		}
		if b.cfg.chatPin {
			args = append(args, "-pin")
		}
		p, err := b.add("chat", store, 0, toolChat, args...)
		if err != nil {
			return err
		}
		if err := b.sweep("chat", store, toolChat, p.Rate, args...); err != nil {
			return err
		}
	}
	return nil
}

// moves: -games tic-tac-toe games; the closed loop finds the peak, then
// the open loop runs at fractions of it.
func (b *bench) moves() error {
	args := []string{"-game", "tictactoe", "-games", strconv.Itoa(b.cfg.games), "-duration", b.cfg.duration.String()}
	p, err := b.add("moves", "tictactoe", 0, toolGame, args...)
	if err != nil {
		return err
	}
	return b.sweep("moves", "tictactoe", toolGame, p.Rate, args...)
}

// run runs the scenarios -only names, in order.
func (b *bench) run() error {
	steps := map[string]func() error{"fanout": b.fanout, "chat": b.chat, "moves": b.moves}
	for _, s := range scenarios {
		if !b.cfg.runs(s) {
			continue
		}
		if err := steps[s](); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}
