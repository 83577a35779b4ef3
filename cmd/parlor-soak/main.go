// Command parlor-soak runs a steady, mixed load for a long time and checks
// that the server's memory, goroutines and file descriptors stay flat: the
// way leaks show up that a short benchmark never sees.
//
// # The load
//
// -clients clients, one user each, for -duration:
//
//   - chat: all clients but the bots are members of -rooms chat groups
//     (about the same size each). Each sends -rate messages per second to
//     its group (with jittered gaps), waiting for each ack, and reads what
//     the others send. Every -churn on average (jittered) a chat client
//     closes its connection and a new one takes its place and joins the
//     group again: sessions, joins and leaves come and go all the time.
//   - games: -games pairs of bots play tic-tac-toe matches back to back,
//     one move every -think, a new match room for each match.
//
// # The server
//
// With no -url, an engine with the chat modules (on a new bbolt file in
// the temporary directory) and tic-tac-toe runs in this process on
// 127.0.0.1, with the engine's and chat's default limits, rooms kept 5s
// after their last member leaves (Room.IdleTTL) and a games grace of 5s,
// so that rooms come and go within the run. The figures are then those of
// the whole process: the server and the clients, whose number is
// constant, so a leak on either side shows.
//
// With -url ws://HOST:PORT/ws (the fault server: go run
// ./internal/faultserver -data DIR), the load goes to that server, and the
// figures are the server's own, from its /debug/stats (-stats-url, by
// default http://HOST:PORT/debug/stats).
//
// # Output and verdict
//
// Every -interval, one row: elapsed time, heap in use, the anonymous and
// file-backed resident memory (RssAnon is heap, stacks and runtime;
// RssFile is mostly the bbolt file mapped in, which grows with the stored
// history and is not a leak), goroutines, open file descriptors, sessions
// and rooms, and the load in the interval (messages acked, delivered,
// matches finished, reconnects, errors). Memory is sampled right after a
// forced GC that also returns free memory to the OS (debug.FreeOSMemory),
// so that it shows what is retained: without that, the resident memory of
// a Go process creeps up towards its GC goal (twice the live heap by
// default) for minutes, which says nothing about leaks.
//
// At the end, a verdict per metric. Samples taken during -warmup are
// ignored; the rest are split in thirds, and a metric is flat when the
// mean of the last third is at most the mean of the first third plus
// max(-tolerance × that mean, the metric's absolute slack): 2 MiB for the
// heap, 8 MiB for RssAnon, 5% of the clients for goroutines, 2% of the
// clients for descriptors (clients reconnecting at the sample time
// account for those). RssFile is reported, not judged. The command exits
// with status 1 when a metric is not flat, or when a request failed.
//
// -memprofile FILE writes a heap profile at the end of the load, to find
// what grew.
//
//	go run ./cmd/parlor-soak -clients 500 -duration 3m
//	go run ./cmd/parlor-soak -url ws://127.0.0.1:8090/ws -clients 500 -duration 10m
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/boltstore"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/tictactoe"
	"github.com/parlorhq/parlor/internal/loopback"
	"github.com/parlorhq/parlor/internal/procstat"
	"github.com/parlorhq/parlor/room"
)

// config holds the command-line flags.
type config struct {
	url       string
	statsURL  string
	clients   int
	rooms     int
	games     int
	rate      float64
	churn     time.Duration
	think     time.Duration
	duration  time.Duration
	warmup    time.Duration
	interval  time.Duration
	tolerance float64
	dialConc  int
	memProf   string
}

func main() {
	var cfg config
	flag.StringVar(&cfg.url, "url", "", "ws:// URL of a running fault server (empty: an engine in this process)")
	flag.StringVar(&cfg.statsURL, "stats-url", "", "the server's stats URL with -url (default: http://HOST:PORT/debug/stats)")
	flag.IntVar(&cfg.clients, "clients", 500, "clients in all, chat clients and game bots")
	flag.IntVar(&cfg.rooms, "rooms", 20, "chat groups")
	flag.IntVar(&cfg.games, "games", 50, "concurrent tic-tac-toe games (two bots each)")
	flag.Float64Var(&cfg.rate, "rate", 1, "chat messages per second per chat client")
	flag.DurationVar(&cfg.churn, "churn", time.Minute, "mean time between reconnects of a chat client (0: never)")
	flag.DurationVar(&cfg.think, "think", 200*time.Millisecond, "pause before each game move")
	flag.DurationVar(&cfg.duration, "duration", 3*time.Minute, "how long the load runs")
	flag.DurationVar(&cfg.warmup, "warmup", time.Minute, "samples before this are not judged")
	flag.DurationVar(&cfg.interval, "interval", 10*time.Second, "time between samples and rows")
	flag.Float64Var(&cfg.tolerance, "tolerance", 0.10, "allowed growth of a metric, as a fraction of its first-third mean")
	flag.IntVar(&cfg.dialConc, "dial-concurrency", 32, "clients dialing at the same time")
	flag.StringVar(&cfg.memProf, "memprofile", "", "write a heap profile of this process at the end of the load (in-process server only)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ok, err := run(ctx, cfg, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "parlor-soak:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

// sample is one reading of the server's state.
type sample struct {
	at         time.Duration
	heap       uint64 // heap in use after a GC
	rssAnon    uint64
	rssFile    uint64
	goroutines int
	fds        int
	sessions   int
	rooms      int
}

// counters is the load's running totals.
type counters struct {
	acked, delivered, matches, moves, reconnects, errors atomic.Int64
}

// run runs the soak and reports whether everything stayed flat.
func run(ctx context.Context, cfg config, out io.Writer) (bool, error) {
	if cfg.clients < 2*cfg.games+cfg.rooms*2 || cfg.rooms < 1 || cfg.rate <= 0 || cfg.interval <= 0 {
		return false, errors.New("need -rooms >= 1, -rate > 0, -interval > 0 and at least two chat clients per room besides the bots")
	}
	if cfg.duration-cfg.warmup < 3*cfg.interval {
		return false, errors.New("need at least three samples after -warmup")
	}

	var base string // URL prefix, to which the user id is appended
	var read func() (sample, error)
	start := time.Now()
	if cfg.url == "" {
		srv, err := startServer()
		if err != nil {
			return false, err
		}
		defer srv.stop()
		base = "ws://" + srv.addr + "/?user="
		read = func() (sample, error) { return srv.sample(time.Since(start)), nil }
	} else {
		u, err := url.Parse(cfg.url)
		if err != nil {
			return false, err
		}
		if cfg.statsURL == "" {
			cfg.statsURL = "http://" + u.Host + "/debug/stats"
		}
		sep := "?"
		if u.RawQuery != "" {
			sep = "&"
		}
		base = cfg.url + sep + "user="
		read = func() (sample, error) { return remoteSample(cfg.statsURL, time.Since(start)) }
		if _, err := read(); err != nil {
			return false, fmt.Errorf("server stats: %w", err)
		}
	}

	// Users are unique per run, so that a reused server's stored groups
	// do not get in the way.
	runID := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	var cnt counters
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	var wg sync.WaitGroup
	sem := make(chan struct{}, cfg.dialConc)

	chatClients := cfg.clients - 2*cfg.games
	groups, err := createGroups(loadCtx, cfg, base, runID, chatClients)
	if err != nil {
		return false, err
	}
	for i := range chatClients {
		g := groups[i%cfg.rooms]
		user := fmt.Sprintf("s%s-c%d", runID, i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			chatter(loadCtx, cfg, base, user, g, sem, &cnt)
		}()
	}
	for i := range cfg.games {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bots(loadCtx, cfg, base, fmt.Sprintf("s%s-g%d", runID, i), sem, &cnt)
		}()
	}

	fmt.Fprintf(out, "parlor-soak: clients=%d (chat %d in %d groups at %.2g msg/s, %d games) churn=%v duration=%v warmup=%v gomaxprocs=%d server=%s\n",
		cfg.clients, chatClients, cfg.rooms, cfg.rate, cfg.games, cfg.churn, cfg.duration, cfg.warmup, runtime.GOMAXPROCS(0), serverName(cfg))
	const row = "%8s %9s %9s %9s %10s %6s %8s %6s %8s %11s %8s %10s %6s\n"
	fmt.Fprintf(out, row, "elapsed", "heap_MiB", "anon_MiB", "file_MiB", "goroutines", "fds", "sessions", "rooms", "acked/s", "delivered/s", "matches", "reconnects", "errors")
	var samples []sample
	var prevAcked, prevDelivered int64
	tick := time.NewTicker(cfg.interval)
	defer tick.Stop()
	end := time.After(cfg.duration)
	interrupted := false
loop:
	for {
		select {
		case <-tick.C:
		case <-end:
			break loop
		case <-ctx.Done():
			interrupted = true
			break loop
		}
		s, err := read()
		if err != nil {
			return false, fmt.Errorf("server stats: %w", err)
		}
		samples = append(samples, s)
		a, d := cnt.acked.Load(), cnt.delivered.Load()
		secs := cfg.interval.Seconds()
		fmt.Fprintf(out, row, s.at.Round(time.Second), f1(mib(s.heap)), f1(mib(s.rssAnon)), f1(mib(s.rssFile)),
			strconv.Itoa(s.goroutines), strconv.Itoa(s.fds), strconv.Itoa(s.sessions), strconv.Itoa(s.rooms),
			f0(float64(a-prevAcked)/secs), f0(float64(d-prevDelivered)/secs),
			strconv.FormatInt(cnt.matches.Load(), 10), strconv.FormatInt(cnt.reconnects.Load(), 10), strconv.FormatInt(cnt.errors.Load(), 10))
		prevAcked, prevDelivered = a, d
	}
	if cfg.memProf != "" {
		if err := writeHeapProfile(cfg.memProf); err != nil {
			return false, err
		}
	}
	stopLoad()
	wg.Wait()

	fmt.Fprintf(out, "totals: acked=%d delivered=%d matches=%d moves=%d reconnects=%d errors=%d\n",
		cnt.acked.Load(), cnt.delivered.Load(), cnt.matches.Load(), cnt.moves.Load(), cnt.reconnects.Load(), cnt.errors.Load())
	if interrupted {
		return false, errors.New("interrupted")
	}
	ok := verdict(out, cfg, samples)
	if n := cnt.errors.Load(); n > 0 {
		fmt.Fprintf(out, "FAIL: %d requests failed\n", n)
		ok = false
	}
	if ok {
		fmt.Fprintln(out, "PASS: flat")
	}
	return ok, nil
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

func serverName(cfg config) string {
	if cfg.url == "" {
		return "in-process"
	}
	return cfg.url
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func f0(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }

// metric is one judged quantity of a sample.
type metric struct {
	name  string
	get   func(sample) float64
	slack float64 // absolute slack, in the metric's unit
	unit  string
}

// verdict judges every metric over the samples after the warm-up and
// prints one line each; it reports whether all were flat.
func verdict(out io.Writer, cfg config, samples []sample) bool {
	var judged []sample
	for _, s := range samples {
		if s.at >= cfg.warmup {
			judged = append(judged, s)
		}
	}
	if len(judged) < 3 {
		fmt.Fprintf(out, "FAIL: only %d samples after the warm-up; run longer\n", len(judged))
		return false
	}
	third := len(judged) / 3
	first, last := judged[:third], judged[len(judged)-third:]
	metrics := []metric{
		{"heap_inuse", func(s sample) float64 { return mib(s.heap) }, 2, "MiB"},
		{"rss_anon", func(s sample) float64 { return mib(s.rssAnon) }, 8, "MiB"},
		{"goroutines", func(s sample) float64 { return float64(s.goroutines) }, 0.05 * float64(cfg.clients), ""},
		{"fds", func(s sample) float64 { return float64(s.fds) }, 0.02 * float64(cfg.clients), ""},
	}
	ok := true
	fmt.Fprintf(out, "verdict over %d samples after the %v warm-up (thirds of %d): flat = last-third mean <= first-third mean + max(%.0f%%, slack)\n",
		len(judged), cfg.warmup, third, cfg.tolerance*100)
	for _, m := range metrics {
		a, b := mean(first, m.get), mean(last, m.get)
		allowed := max(cfg.tolerance*a, m.slack)
		status := "flat"
		if b-a > allowed {
			status = "GROWING"
			ok = false
		}
		fmt.Fprintf(out, "  %-10s first %.1f%s  last %.1f%s  growth %+.1f%s  allowed %.1f%s  %s\n",
			m.name, a, m.unit, b, m.unit, b-a, m.unit, allowed, m.unit, status)
	}
	rf := func(s sample) float64 { return mib(s.rssFile) }
	fmt.Fprintf(out, "  %-10s first %.1fMiB  last %.1fMiB  (file-backed: the bbolt file mapped in; not judged)\n", "rss_file", mean(first, rf), mean(last, rf))
	return ok
}

func mean(ss []sample, get func(sample) float64) float64 {
	var sum float64
	for _, s := range ss {
		sum += get(s)
	}
	return sum / float64(len(ss))
}

// ---------------------------------------------------------------- server

// server is the in-process engine.
type server struct {
	addr  string
	eng   *engine.Engine
	store *boltstore.Store
	dir   string
	stop  func()
}

func startServer() (*server, error) {
	dir, err := os.MkdirTemp("", "parlor-soak-")
	if err != nil {
		return nil, err
	}
	store, err := boltstore.Open(filepath.Join(dir, "chat.db"), boltstore.Options{})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	eng, err := engine.New(engine.Config{
		Authenticate: loopback.AuthenticateQuery,
		Secret:       []byte("parlor-soak secret"),
		Room:         room.Config{IdleTTL: 5 * time.Second},
	})
	if err == nil {
		err = chat.New(chat.Config{Store: store}).Register(eng)
	}
	if err == nil {
		err = eng.Register(games.NewModule(tictactoe.Game{}, games.Config{Grace: 5 * time.Second, Rooms: eng}))
	}
	var addr string
	var stopServe func(context.Context) error
	if err == nil {
		addr, stopServe, err = loopback.Serve("127.0.0.1:0", eng, eng)
	}
	if err != nil {
		if eng != nil {
			_ = eng.Shutdown(context.Background())
		}
		_ = store.Close()
		_ = os.RemoveAll(dir)
		return nil, err
	}
	s := &server{addr: addr, eng: eng, store: store, dir: dir}
	s.stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = stopServe(ctx)
		_ = store.Close()
		_ = os.RemoveAll(dir)
	}
	return s, nil
}

// sample reads this process after a GC that also returns free memory to
// the OS, so that the resident memory shows what is retained rather than
// how much headroom the garbage collector took.
func (s *server) sample(at time.Duration) sample {
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := procstat.Status()
	es := s.eng.Stats()
	return sample{
		at: at, heap: ms.HeapInuse, rssAnon: st["RssAnon"], rssFile: st["RssFile"],
		goroutines: runtime.NumGoroutine(), fds: procstat.FDs(), sessions: es.Sessions, rooms: es.Rooms,
	}
}

// remoteSample reads the fault server's stats after a GC.
func remoteSample(statsURL string, at time.Duration) (sample, error) {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(statsURL + "?gc=1")
	if err != nil {
		return sample{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return sample{}, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var st struct {
		HeapInuse  uint64 `json:"heap_inuse"`
		RSSAnon    uint64 `json:"rss_anon"`
		RSSFile    uint64 `json:"rss_file"`
		Goroutines int    `json:"goroutines"`
		FDs        int    `json:"fds"`
		Sessions   int    `json:"sessions"`
		Rooms      int    `json:"rooms"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return sample{}, err
	}
	return sample{at: at, heap: st.HeapInuse, rssAnon: st.RSSAnon, rssFile: st.RSSFile,
		goroutines: st.Goroutines, fds: st.FDs, sessions: st.Sessions, rooms: st.Rooms}, nil
}

// ---------------------------------------------------------------- chat

// group is one chat group of the load.
type group struct {
	id string
}

// createGroups creates the chat groups: each is created by its first
// member, with every member of it listed.
func createGroups(ctx context.Context, cfg config, base, runID string, chatClients int) ([]*group, error) {
	groups := make([]*group, cfg.rooms)
	for r := range groups {
		var members []string
		for i := r + cfg.rooms; i < chatClients; i += cfg.rooms {
			members = append(members, fmt.Sprintf("s%s-c%d", runID, i))
		}
		creator := fmt.Sprintf("s%s-c%d", runID, r)
		c, err := dial(ctx, base+creator, client.Options{})
		if err != nil {
			return nil, err
		}
		jctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		j, err := c.Join(jctx, chat.KindGroup, chat.GroupParams{Create: &chat.CreateGroup{Name: "soak " + strconv.Itoa(r), Members: members}})
		cancel()
		_ = c.Close()
		if err != nil {
			return nil, fmt.Errorf("create group %d: %w", r, err)
		}
		groups[r] = &group{id: j.Room}
	}
	return groups, nil
}

// clientOptions are the load's client options. The event buffer is small:
// the clients read at once, and a buffer of the default 1,024 events
// (about 110 KiB, allocated at once, its pages made resident only as the
// ring goes round) would make the process's resident memory creep up for
// minutes in a way that says nothing about the server.
var clientOptions = client.Options{RequestTimeout: 30 * time.Second, EventBuffer: 64}

func dial(ctx context.Context, url string, opts client.Options) (*client.Client, error) {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return client.Dial(dctx, url, opts)
}

// chatter is one chat client: it joins its group, sends at the rate and
// reads, and every churn period (on average) starts over on a new
// connection.
func chatter(ctx context.Context, cfg config, base, user string, g *group, sem chan struct{}, cnt *counters) {
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	// Spread the start over the first interval.
	if !sleep(ctx, time.Duration(rng.Int64N(int64(cfg.interval)))) {
		return
	}
	for n := 0; ctx.Err() == nil; n++ {
		if n > 0 {
			cnt.reconnects.Add(1)
		}
		var life time.Duration
		if cfg.churn > 0 {
			life = time.Duration((0.5 + rng.Float64()) * float64(cfg.churn))
		}
		chatSession(ctx, cfg, base, user, g, sem, cnt, rng, life)
	}
}

// chatSession is one connection of a chat client, for life (0: until ctx
// ends).
func chatSession(ctx context.Context, cfg config, base, user string, g *group, sem chan struct{}, cnt *counters, rng *rand.Rand, life time.Duration) {
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	c, err := dial(ctx, base+user, clientOptions)
	if err == nil {
		// The snapshot (with the newest messages) is not kept.
		jctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err = c.Join(jctx, chat.KindGroup, chat.GroupParams{ID: g.id})
		cancel()
	}
	<-sem
	if err != nil {
		if ctx.Err() == nil {
			cnt.errors.Add(1)
			fmt.Fprintf(os.Stderr, "parlor-soak: %s: connect and join: %v\n", user, err)
			sleep(ctx, time.Second)
		}
		if c != nil {
			_ = c.Close()
		}
		return
	}
	defer c.Close()

	reading := make(chan struct{})
	go func() {
		defer close(reading)
		for ev := range c.Events() {
			if ev.Name == chat.KindMessage && ev.Room == g.id {
				var m chat.Message
				if ev.Decode(&m) == nil && m.From != user {
					cnt.delivered.Add(1)
				}
			}
		}
	}()

	var until <-chan time.Time
	if life > 0 {
		t := time.NewTimer(life)
		defer t.Stop()
		until = t.C
	}
	gap := float64(time.Second) / cfg.rate
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-until:
			return
		case <-time.After(time.Duration((0.5 + rng.Float64()) * gap)):
		}
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err := c.Send(sctx, g.id, chat.OpSend, chat.SendRequest{Text: fmt.Sprintf("%s #%d %s", user, i, time.Now().Format(time.RFC3339Nano))})
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				cnt.errors.Add(1)
				fmt.Fprintf(os.Stderr, "parlor-soak: %s: send: %v\n", user, err)
			}
			return
		}
		cnt.acked.Add(1)
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// ---------------------------------------------------------------- games

// bots is one pair of bots playing tic-tac-toe matches back to back.
func bots(ctx context.Context, cfg config, base, name string, sem chan struct{}, cnt *counters) {
	users := []string{name + "a", name + "b"}
	cs := make([]*client.Client, 2)
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	for i, u := range users {
		c, err := dial(ctx, base+u, clientOptions)
		if err != nil {
			<-sem
			if ctx.Err() == nil {
				cnt.errors.Add(1)
				fmt.Fprintf(os.Stderr, "parlor-soak: %s: dial: %v\n", u, err)
			}
			for _, c := range cs[:i] {
				_ = c.Close()
			}
			return
		}
		cs[i] = c
		defer c.Close()
		go func() {
			for range c.Events() { // drain: the moves are known from the replies
			}
		}()
	}
	<-sem
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	for m := 0; ctx.Err() == nil; m++ {
		if err := playMatch(ctx, cfg, cs, users, fmt.Sprintf("%s-%d", name, m), rng, cnt); err != nil {
			if ctx.Err() == nil {
				cnt.errors.Add(1)
				fmt.Fprintf(os.Stderr, "parlor-soak: %s: match: %v\n", name, err)
				sleep(ctx, time.Second)
			}
		}
	}
}

// playMatch plays one match with random moves and leaves its room.
func playMatch(ctx context.Context, cfg config, cs []*client.Client, users []string, nonce string, rng *rand.Rand, cnt *counters) error {
	params := games.JoinParams{Seats: users, Nonce: nonce}
	var room string
	for _, c := range cs {
		jctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		j, err := c.Join(jctx, "games."+tictactoe.Game{}.Name(), params)
		cancel()
		if err != nil {
			return err
		}
		room = j.Room
	}
	defer func() {
		for _, c := range cs {
			lctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_ = c.Leave(lctx, room)
			cancel()
		}
	}()
	var board [9]int // 0 empty, 1 seat 0, 2 seat 1
	for ply := 0; ; ply++ {
		if !sleep(ctx, cfg.think) {
			return nil
		}
		var free []int
		for i, v := range board {
			if v == 0 {
				free = append(free, i)
			}
		}
		cell := free[rng.IntN(len(free))]
		seat := ply % 2
		mv, _ := codec.MarshalData(tictactoe.Move{Cell: &cell})
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err := cs[seat].Send(sctx, room, games.EventMove, mv)
		cancel()
		if err != nil {
			return err
		}
		cnt.moves.Add(1)
		board[cell] = seat + 1
		if won(board) || len(free) == 1 {
			cnt.matches.Add(1)
			return nil
		}
	}
}

// won reports whether a line is complete.
func won(b [9]int) bool {
	for _, l := range [8][3]int{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {0, 3, 6}, {1, 4, 7}, {2, 5, 8}, {0, 4, 8}, {2, 4, 6}} {
		if b[l[0]] != 0 && b[l[0]] == b[l[1]] && b[l[1]] == b[l[2]] {
			return true
		}
	}
	return false
}
