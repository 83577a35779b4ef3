package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/internal/loadgen"
	"github.com/parlorhq/parlor/internal/procstat"
)

// run dials the bots, plays every game for -duration and prints the
// report. It fails if a game failed.
func run(ctx context.Context, cfg config, out io.Writer) error {
	b, err := cfg.validate()
	if err != nil {
		return err
	}
	if cfg.pins, err = loadgen.PinGenerator(cfg.pin); err != nil {
		return err
	}
	var bd *breakdown
	if cfg.breakdown {
		bd = newBreakdown()
	}
	wsURL, stop, err := openServer(cfg, b, bd)
	if err != nil {
		return err
	}
	defer stop()

	fmt.Fprintf(out, "dialing %d bots for %d %s games ...\n", 2*cfg.games, cfg.games, cfg.game)
	conns, err := dialAll(ctx, wsURL, cfg)
	defer loadgen.CloseAll(conns)
	if err != nil {
		return err
	}

	fmt.Fprintf(out, "playing for %v ...\n", cfg.duration)
	rep, err := playAll(ctx, cfg, b, conns, bd)
	if err != nil {
		return err
	}
	rep.print(out, cfg)
	if bd != nil {
		bd.print(out)
	}
	if cfg.jsonPath != "" {
		if err := loadgen.WriteJSON(cfg.jsonPath, jsonOf(cfg, rep)); err != nil {
			return err
		}
	}
	if rep.firstErr != nil {
		return fmt.Errorf("%d games failed; the first: %w", rep.errors, rep.firstErr)
	}
	return nil
}

// dialAll connects two bots per game. The bots that were dialed are in
// the result even when it returns an error, for the caller to close.
func dialAll(ctx context.Context, wsURL string, cfg config) ([]*client.Client, error) {
	conns := make([]*client.Client, 2*cfg.games)
	err := loadgen.Parallel(ctx, len(conns), cfg.dialConc, func(ctx context.Context, i int) error {
		c, err := client.Dial(ctx, loadgen.UserURL(wsURL, botName(i/2, i%2)), client.Options{
			Client: "parlor-gameload",
			// A dropped connection is a failure to report, not to hide.
			Reconnect: client.ReconnectPolicy{Disabled: true},
		})
		if err != nil {
			return fmt.Errorf("dial bot %d: %w", i, err)
		}
		conns[i] = c
		return nil
	})
	return conns, err
}

// playAll plays every game until -duration has passed and returns what
// they did. With -rate, the games share one schedule of moves. With
// -trace, it traces the process from the end of -warmup to the end.
func playAll(ctx context.Context, cfg config, b bot, conns []*client.Client, bd *breakdown) (*report, error) {
	rep := &report{games: cfg.games}
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		moves atomic.Int64
	)
	lat := loadgen.NewRecorder(0)
	stopProgress := loadgen.Progress{
		Out: os.Stderr, Terminal: loadgen.IsTerminal(os.Stderr),
		Label: "moves", Count: moves.Load, Latency: lat,
	}.Start()
	cpu0, start := procstat.ReadCPU(), time.Now()
	from := start.Add(cfg.warmup)
	deadline := start.Add(cfg.duration)
	if bd != nil {
		bd.from.Store(from.UnixNano())
		bd.until.Store(deadline.UnixNano())
	}
	paceCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	sched := schedule(cfg, start)
	for g := range cfg.games {
		p := newPlayer(cfg, b, conns, g)
		p.lat, p.moves, p.paceCtx, p.bd, p.from = lat, &moves, paceCtx, bd, from
		if sched != nil {
			p.pacer = sched.Pacer()
		}
		wg.Go(func() {
			err := p.play(ctx, deadline)
			mu.Lock()
			defer mu.Unlock()
			rep.add(g, p, err)
		})
	}
	traced := traceFrom(cfg.tracePath, from, deadline)
	wg.Wait()
	stopProgress()
	rep.elapsed, rep.cpu = time.Since(start), procstat.ReadCPU().Sub(cpu0)
	rep.lat, rep.moves = lat.Snapshot(), moves.Load()
	err := <-traced
	if cfg.memProf != "" {
		err = errors.Join(err, loadgen.WriteHeapProfile(cfg.memProf))
	}
	return rep, err
}

// traceFrom writes, unless path is empty, an execution trace to path from
// from until deadline (or at once if from has passed). The channel gets
// the trace's error once it has stopped, or nil at once without path.
func traceFrom(path string, from, deadline time.Time) <-chan error {
	done := make(chan error, 1)
	if path == "" {
		done <- nil
		return done
	}
	go func() {
		time.Sleep(time.Until(from))
		stop, err := loadgen.StartTrace(path)
		if err != nil {
			done <- err
			return
		}
		time.Sleep(time.Until(deadline))
		done <- stop()
	}()
	return done
}

// schedule is the open-loop schedule of -rate from start; nil in a
// closed loop.
func schedule(cfg config, start time.Time) *loadgen.Schedule {
	if cfg.rate <= 0 {
		return nil
	}
	return loadgen.NewSchedule(cfg.rate, start)
}

// newPlayer returns the player of game g, without what the players
// share.
func newPlayer(cfg config, b bot, conns []*client.Client, g int) *player {
	return &player{
		kind:  games.KindPrefix + cfg.game,
		bot:   b,
		conns: [2]*client.Client{conns[2*g], conns[2*g+1]},
		users: [2]string{botName(g, 0), botName(g, 1)},
		rng:   rand.New(rand.NewPCG(cfg.seed, uint64(g))),
		think: cfg.think,
		id:    g,
	}
}
