package main

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/parlorhq/parlor/internal/loadgen"
	"github.com/parlorhq/parlor/internal/procstat"
)

// measurement is what the measured time cost outside the clients' view.
type measurement struct {
	cpu procstat.CPU // the CPU time this process and the machine used in the window
	// server is the server's CPU time (with -spawn) and bbolt counters
	// in the window.
	server serverStats
	// spawned: the server ran in a child, so cpu is the clients' alone.
	spawned bool
	// gc is the garbage collector's work in this process.
	gc gcStats
}

// measureWindow lets the load warm up for -warmup, then opens the window
// for -duration, under the profiles and traces the flags ask for.
func measureWindow(cfg config, srv *server, win *window) (m measurement, err error) {
	time.Sleep(cfg.warmup)
	st0, err := srv.stats()
	if err != nil {
		return m, err
	}
	cpu0, gc0 := procstat.ReadCPU(), readGC()
	win.start.Store(time.Now().UnixNano())
	stops, err := startProfiles(cfg, srv)
	if err != nil {
		return m, err
	}
	time.Sleep(cfg.duration)
	win.end.Store(time.Now().UnixNano())
	m.cpu, m.gc = procstat.ReadCPU().Sub(cpu0), readGC().sub(gc0)
	st1, err := srv.stats()
	m.server, m.spawned = st1.sub(st0), srv.child
	return m, errors.Join(err, stops())
}

// startProfiles starts the CPU profile and execution trace of this
// process, and fetches the server child's, as the flags ask. stop ends
// them and waits for the child's.
func startProfiles(cfg config, srv *server) (stop func() error, err error) {
	var stops []func() error
	stopAll := func() error {
		var errs []error
		for _, s := range stops {
			errs = append(errs, s())
		}
		return errors.Join(errs...)
	}
	for _, p := range []struct {
		path  string
		start func(string) (func() error, error)
	}{{cfg.cpuProfile, loadgen.StartCPUProfile}, {cfg.tracePath, loadgen.StartTrace}} {
		if p.path == "" {
			continue
		}
		s, err := p.start(p.path)
		if err != nil {
			return nil, errors.Join(err, stopAll())
		}
		stops = append(stops, s)
	}
	secs := int(math.Ceil(cfg.duration.Seconds()))
	var wg sync.WaitGroup
	var errs [2]error
	for i, p := range []struct{ file, path string }{
		{cfg.srvProfile, fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs)},
		{cfg.srvTrace, fmt.Sprintf("/debug/pprof/trace?seconds=%d", secs)},
	} {
		if p.file != "" {
			wg.Go(func() { errs[i] = fetchProfile(srv.base, p.path, p.file) })
		}
	}
	stops = append(stops, func() error {
		wg.Wait()
		return errors.Join(errs[:]...)
	})
	return stopAll, nil
}
