package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

// run runs the soak and reports whether everything stayed flat.
func run(ctx context.Context, cfg config, out io.Writer) (bool, error) {
	if err := cfg.validate(); err != nil {
		return false, err
	}
	tgt, err := openTarget(cfg, time.Now())
	if err != nil {
		return false, err
	}
	defer tgt.close()
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	l, err := startLoad(loadCtx, cfg, tgt.wsURL)
	if err != nil {
		return false, err
	}
	printHeader(out, cfg)
	samples, err := sampleUntilEnd(ctx, cfg, tgt, &l.cnt, out)
	if err == nil && cfg.memProf != "" {
		err = writeHeapProfile(cfg.memProf)
	}
	stopLoad()
	l.wait()
	if err != nil {
		return false, err
	}
	printTotals(out, &l.cnt)
	if ctx.Err() != nil {
		return false, errors.New("interrupted")
	}
	ok := verdict(out, cfg, samples)
	if n := l.cnt.errors.Load(); n > 0 {
		fmt.Fprintf(out, "FAIL: %d requests failed\n", n)
		ok = false
	}
	if ok {
		fmt.Fprintln(out, "PASS: flat")
	}
	return ok, nil
}

// sampleUntilEnd samples the server every -interval and prints a row,
// for -duration or until ctx ends.
func sampleUntilEnd(ctx context.Context, cfg config, tgt *target, cnt *counters, out io.Writer) ([]sample, error) {
	var samples []sample
	var prev rates
	tick := time.NewTicker(cfg.interval)
	defer tick.Stop()
	end := time.After(cfg.duration)
	for {
		select {
		case <-tick.C:
		case <-end:
			return samples, nil
		case <-ctx.Done():
			return samples, nil
		}
		s, err := tgt.read()
		if err != nil {
			return samples, fmt.Errorf("server stats: %w", err)
		}
		samples = append(samples, s)
		prev = printRow(out, cfg, s, cnt, prev)
	}
}

// writeHeapProfile writes a heap profile after a GC.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
