// Command parlor-gameload plays many concurrent games with bots to measure
// the games toolkit: moves per second, and the latency from sending a move
// to every player having the new position.
//
// # What it does
//
// It connects two bots per game (-games games, at most -dial-concurrency
// dialing at a time), then, in every game at once and for -duration, the
// two bots play matches of -game (tictactoe or chess) back to back: they
// join a new match (a challenge with a fresh nonce), and the bot to move
// picks a random move from the legal moves listed in its "state" view,
// sends it, and waits until both bots have the "state" event of that ply.
// That wait is the move-to-all-updated latency: from just before the move
// is sent until the game's goroutine has seen the new position on both
// connections, so it includes the client side's scheduling as well as the
// server's work. After a -think pause the next move goes out. When a match
// ends, both bots leave its room and start the next one. When the time is
// up, every game finishes the move in flight, and the tool prints a report
// and exits.
//
// # Where the server runs
//
// With no -url (the default), an engine with the chosen game's module is
// started in this process on 127.0.0.1 (a random port), with rate limits
// off and rooms disposed as soon as their last member leaves. With -url
// ws://host:port/path, an existing loopback server that registers the
// game's module ("games.tictactoe" or "games.chess") and takes the user
// from ?user=; its rate limit applies.
//
// # Output
//
// games, matches finished, moves, moves/s, latency p50, p90, p99 and max,
// and the CPU this process and the rest of the machine used while the bots
// played (to spot runs that shared the machine with other work). It exits
// with status 1 if a request failed.
//
// -cpuprofile FILE writes a CPU profile of the process (bots and server
// together) for go tool pprof.
//
// # Examples
//
//	go run ./cmd/parlor-gameload -game tictactoe -games 1000 -duration 10s
//	go run ./cmd/parlor-gameload -game chess -games 200 -duration 10s
//	go run ./cmd/parlor-gameload -game tictactoe -games 1000 -think 100ms
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/parlorhq/parlor/internal/loopback"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/chess"
	"github.com/parlorhq/parlor/games/tictactoe"
	"github.com/parlorhq/parlor/room"
)

// config holds the command-line flags.
type config struct {
	url      string
	game     string
	games    int
	duration time.Duration
	think    time.Duration
	dialConc int
	seed     uint64
	cpuProf  string
}

func main() {
	var cfg config
	flag.StringVar(&cfg.url, "url", "", "ws:// URL of an existing loopback server (empty: start one in this process)")
	flag.StringVar(&cfg.game, "game", "tictactoe", "the game the bots play: tictactoe or chess")
	flag.IntVar(&cfg.games, "games", 1000, "concurrent games (two bots each)")
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long the bots play")
	flag.DurationVar(&cfg.think, "think", 0, "pause between a move's update and the next move")
	flag.IntVar(&cfg.dialConc, "dial-concurrency", 64, "bots dialing at the same time")
	flag.Uint64Var(&cfg.seed, "seed", 1, "seed of the bots' random moves")
	flag.StringVar(&cfg.cpuProf, "cpuprofile", "", "write a CPU profile of the whole process (bots and server) to this file")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.cpuProf != "" {
		f, err := os.Create(cfg.cpuProf)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "parlor-gameload:", err)
			os.Exit(1)
		}
		defer func() {
			pprof.StopCPUProfile()
			_ = f.Close()
		}()
	}
	if err := run(ctx, cfg, os.Stdout); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "parlor-gameload:", err)
		stop()
		os.Exit(1)
	}
}

// ---------------------------------------------------------------- games

// bot is what the bots need to know about a game.
type bot struct {
	// module is the game's module, for an in-process server.
	module func() *games.Module
	// moves decodes a state view and returns its legal moves, encoded.
	moves func(view []byte) ([][]byte, error)
}

var bots = map[string]bot{
	"tictactoe": {
		module: func() *games.Module { return games.NewModule(tictactoe.Game{}, games.Config{}) },
		moves: func() func([]byte) ([][]byte, error) {
			var cells [9][]byte
			for i := range cells {
				cells[i], _ = codec.MarshalData(tictactoe.Move{Cell: &i})
			}
			return func(view []byte) ([][]byte, error) {
				var v tictactoe.View
				if err := codec.UnmarshalData(view, &v); err != nil {
					return nil, err
				}
				out := make([][]byte, len(v.Legal))
				for i, c := range v.Legal {
					out[i] = cells[c]
				}
				return out, nil
			}
		}(),
	},
	"chess": {
		module: func() *games.Module { return games.NewModule(chess.Game{}, games.Config{}) },
		moves: func(view []byte) ([][]byte, error) {
			var v chess.View
			if err := codec.UnmarshalData(view, &v); err != nil {
				return nil, err
			}
			out := make([][]byte, len(v.Legal))
			for i, m := range v.Legal {
				raw, err := codec.MarshalData(chess.Move{UCI: m})
				if err != nil {
					return nil, err
				}
				out[i] = raw
			}
			return out, nil
		},
	},
}

// ---------------------------------------------------------------- server

// startServer serves an engine with module on 127.0.0.1.
func startServer(m *games.Module) (wsURL string, stop func(context.Context) error, err error) {
	e, err := engine.New(engine.Config{
		// Load-test identities: the user is whatever ?user= says. Never
		// authenticate like this outside a load test.
		Authenticate: loopback.AuthenticateQuery,
		Secret:       []byte("parlor-gameload"),
		// Fast bots send more than 50 frames a second.
		RateLimit: -1,
		// Matches are many and short: free them at once.
		Room: room.Config{IdleTTL: -1},
	})
	if err != nil {
		return "", nil, err
	}
	if err := e.Register(m); err != nil {
		return "", nil, err
	}
	bound, stop, err := loopback.Serve("127.0.0.1:0", e, e)
	if err != nil {
		return "", nil, err
	}
	return "ws://" + bound + "/", stop, nil
}

// checkLoopback refuses URLs that do not point at this machine.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return fmt.Errorf("-url %s: want ws:// or wss://", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("-url %s: only loopback servers", raw)
}

// userURL adds ?user= to a server URL.
func userURL(base, user string) string {
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("user", user)
	u.RawQuery = q.Encode()
	return u.String()
}

// ---------------------------------------------------------------- run

// report is the outcome of a run.
type report struct {
	games     int
	matches   int64
	moves     int64
	elapsed   time.Duration
	latencies []time.Duration
	errors    int64
	firstErr  error
	cpu       cpuTimes
}

func run(ctx context.Context, cfg config, out io.Writer) error {
	b, ok := bots[cfg.game]
	if !ok {
		return fmt.Errorf("-game %q: want tictactoe or chess", cfg.game)
	}
	if cfg.games < 1 {
		return errors.New("-games must be at least 1")
	}
	kind := games.KindPrefix + cfg.game
	base := cfg.url
	if base == "" {
		wsURL, stop, err := startServer(b.module())
		if err != nil {
			return err
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = stop(sctx)
		}()
		base = wsURL
	} else if err := checkLoopback(base); err != nil {
		return err
	}

	fmt.Fprintf(out, "dialing %d bots for %d %s games ...\n", 2*cfg.games, cfg.games, cfg.game)
	conns, err := dialAll(ctx, base, cfg)
	defer func() {
		for _, c := range conns {
			if c != nil {
				_ = c.Close()
			}
		}
	}()
	if err != nil {
		return err
	}

	fmt.Fprintf(out, "playing for %v ...\n", cfg.duration)
	var (
		rep    = report{games: cfg.games}
		mu     sync.Mutex
		wg     sync.WaitGroup
		errCnt atomic.Int64
	)
	cpu0 := readCPU()
	start := time.Now()
	deadline := start.Add(cfg.duration)
	for g := range cfg.games {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := &player{
				kind:  kind,
				bot:   b,
				conns: [2]*client.Client{conns[2*g], conns[2*g+1]},
				users: [2]string{botName(g, 0), botName(g, 1)},
				rng:   rand.New(rand.NewPCG(cfg.seed, uint64(g))),
				think: cfg.think,
				id:    g,
			}
			err := p.play(ctx, deadline)
			mu.Lock()
			defer mu.Unlock()
			rep.matches += p.matches
			rep.moves += int64(len(p.latencies))
			rep.latencies = append(rep.latencies, p.latencies...)
			if err != nil {
				errCnt.Add(1)
				if rep.firstErr == nil {
					rep.firstErr = fmt.Errorf("game %d: %w", g, err)
				}
			}
		}()
	}
	wg.Wait()
	rep.elapsed = time.Since(start)
	rep.cpu = readCPU().sub(cpu0)
	rep.errors = errCnt.Load()
	rep.print(out, cfg)
	if rep.firstErr != nil {
		return fmt.Errorf("%d games failed; the first: %w", rep.errors, rep.firstErr)
	}
	return nil
}

func botName(game, seat int) string { return fmt.Sprintf("bot-%d-%d", game, seat) }

// dialAll connects two bots per game.
func dialAll(ctx context.Context, base string, cfg config) ([]*client.Client, error) {
	conns := make([]*client.Client, 2*cfg.games)
	sem := make(chan struct{}, max(cfg.dialConc, 1))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := client.Dial(ctx, userURL(base, botName(i/2, i%2)), client.Options{
				Client: "parlor-gameload",
				// A dropped connection is a failure to report, not to hide.
				Reconnect: client.ReconnectPolicy{Disabled: true},
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = fmt.Errorf("dial bot %d: %w", i, err)
				}
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	return conns, first
}

// player drives the two bots of one game.
type player struct {
	kind      string
	bot       bot
	conns     [2]*client.Client
	users     [2]string
	rng       *rand.Rand
	think     time.Duration
	id        int
	round     int
	matches   int64
	latencies []time.Duration
}

// play plays matches until the deadline.
func (p *player) play(ctx context.Context, deadline time.Time) error {
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if err := p.match(ctx, deadline); err != nil {
			return err
		}
	}
	return nil
}

// match plays one match, or stops it at the deadline.
func (p *player) match(ctx context.Context, deadline time.Time) error {
	p.round++
	params := games.JoinParams{Seats: p.users[:], Nonce: fmt.Sprintf("load-%d-%d", p.id, p.round)}
	var roomID string
	var snap games.Snapshot
	for _, c := range p.conns {
		j, err := c.Join(ctx, p.kind, params)
		if err != nil {
			return fmt.Errorf("join: %w", err)
		}
		roomID = j.Room
		if err := j.Decode(&snap); err != nil {
			return err
		}
	}
	defer func() {
		for _, c := range p.conns {
			_ = c.Leave(context.Background(), roomID)
		}
	}()
	if snap.Status != games.StatusPlaying {
		return fmt.Errorf("match not playing after both joined: %s", snap.Status)
	}
	view, turn, ply := []byte(snap.View), snap.Turn, snap.Ply
	for time.Now().Before(deadline) && ctx.Err() == nil {
		moves, err := p.bot.moves(view)
		if err != nil {
			return fmt.Errorf("decode view: %w", err)
		}
		if len(moves) == 0 {
			return fmt.Errorf("ply %d: no legal moves but turn %d", ply, turn)
		}
		move := moves[p.rng.IntN(len(moves))]
		sent := time.Now()
		if _, err := p.conns[turn].Send(ctx, roomID, games.EventMove, move); err != nil {
			return fmt.Errorf("ply %d: move: %w", ply, err)
		}
		ply++
		var st games.StateUpdate
		for _, c := range p.conns {
			if st, err = waitState(ctx, c, roomID, ply); err != nil {
				return err
			}
		}
		p.latencies = append(p.latencies, time.Since(sent))
		if st.Turn < 0 {
			p.matches++
			return nil
		}
		view, turn = st.View, st.Turn
		if p.think > 0 {
			time.Sleep(p.think)
		}
	}
	return nil
}

// waitState waits on c for the state event of ply in roomID.
func waitState(ctx context.Context, c *client.Client, roomID string, ply int) (games.StateUpdate, error) {
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				return games.StateUpdate{}, fmt.Errorf("connection closed: %v", c.Err())
			}
			if ev.Room != roomID || ev.Name != games.EventState {
				continue
			}
			var st games.StateUpdate
			if err := ev.Decode(&st); err != nil {
				return st, err
			}
			if st.Ply == ply {
				return st, nil
			}
		case <-timeout.C:
			return games.StateUpdate{}, fmt.Errorf("no state for ply %d within 30s", ply)
		case <-ctx.Done():
			return games.StateUpdate{}, ctx.Err()
		}
	}
}

// ---------------------------------------------------------------- report

func (r *report) print(out io.Writer, cfg config) {
	slices.Sort(r.latencies)
	q := func(p float64) time.Duration {
		if len(r.latencies) == 0 {
			return 0
		}
		return r.latencies[min(int(p*float64(len(r.latencies))), len(r.latencies)-1)]
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
	fmt.Fprintf(out, "game              %s\n", cfg.game)
	fmt.Fprintf(out, "games             %d (%d bots), think %v, GOMAXPROCS %d\n", r.games, 2*r.games, cfg.think, runtime.GOMAXPROCS(0))
	fmt.Fprintf(out, "elapsed           %v\n", r.elapsed.Round(time.Millisecond))
	fmt.Fprintf(out, "matches finished  %d\n", r.matches)
	fmt.Fprintf(out, "moves             %d\n", r.moves)
	fmt.Fprintf(out, "moves/s           %.0f\n", float64(r.moves)/r.elapsed.Seconds())
	fmt.Fprintf(out, "latency p50       %s\n", ms(q(0.50)))
	fmt.Fprintf(out, "latency p90       %s\n", ms(q(0.90)))
	fmt.Fprintf(out, "latency p99       %s\n", ms(q(0.99)))
	if n := len(r.latencies); n > 0 {
		fmt.Fprintf(out, "latency max       %s\n", ms(r.latencies[n-1]))
	}
	if r.cpu.machine > 0 {
		sec := r.elapsed.Seconds()
		fmt.Fprintf(out, "cpu while playing %.2f cores this process, %.2f cores the rest of the machine\n",
			r.cpu.self/sec, max(r.cpu.machine-r.cpu.self, 0)/sec)
	}
	fmt.Fprintf(out, "failed games      %d\n", r.errors)
}

// cpuTimes are CPU seconds used by this process and by the whole machine.
type cpuTimes struct{ self, machine float64 }

func (a cpuTimes) sub(b cpuTimes) cpuTimes {
	return cpuTimes{self: a.self - b.self, machine: a.machine - b.machine}
}

// readCPU reads this process's CPU time (getrusage) and the machine's busy
// time (/proc/stat, Linux only; 0 elsewhere), so a report can show whether
// something else was using the CPUs during the run.
func readCPU() cpuTimes {
	var t cpuTimes
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		t.self = float64(ru.Utime.Sec) + float64(ru.Utime.Usec)/1e6 + float64(ru.Stime.Sec) + float64(ru.Stime.Usec)/1e6
	}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return t
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 8 || fields[0] != "cpu" {
		return t
	}
	var busy float64
	for i, f := range fields[1:8] { // user nice system idle iowait irq softirq
		if i == 3 || i == 4 {
			continue // idle, iowait
		}
		v, _ := strconv.ParseFloat(f, 64)
		busy += v
	}
	t.machine = busy / 100 // USER_HZ is 100 on Linux
	return t
}
