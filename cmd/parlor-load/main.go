// Command parlor-load is Parlor's load generator: it measures how fast one
// server fans room broadcasts out to many WebSocket clients, and what each
// idle connection costs.
//
// # What it does
//
// It connects -clients clients (at most -dial-concurrency dialing at a
// time), spreads them round-robin over -rooms echo rooms, and waits until
// every client has joined. It then records the memory and goroutines the
// server gained per connection, while the connections are idle. Next, in
// each room, the first -senders clients send "say" events of -size bytes
// for -duration, each sender keeping up to -inflight requests in flight.
// Every client counts the events it receives and measures each event's
// latency from send to receive: the sender puts its clock (UnixNano) at the
// start of the text, and the receiver subtracts it from its own. When the
// time is up, the senders stop, the tool waits for the last events to
// arrive, prints a report, closes every client, stops whatever server it
// started, and exits.
//
// # Where the server runs
//
//   - No -url (the default): an engine with the echo module is started in
//     this process on 127.0.0.1 (a random port). Clients and server share
//     the process and its cores, so the memory and CPU figures include both
//     sides of every connection.
//   - -spawn: the same server runs in a child process (this binary with
//     -serve), so its memory, goroutines, CPU time and write syscalls are
//     measured alone. -server-procs sets the child's GOMAXPROCS, for
//     example 1 to give the server one core's worth of Go threads, and
//     -server-cpu pins the child to CPUs with taskset(1). To pin the
//     clients to the other core too, run the tool itself under taskset:
//     taskset -c 1 parlor-load -spawn -server-cpu 0 -server-procs 1.
//   - -url ws://host:port/path: an existing server, which must register the
//     echo module (kind "echo"). Clients authenticate with ?user=uN added to
//     the URL and, if given, the -auth header ("Authorization: Bearer X").
//     Its rate limit applies: the engine's default (50 frames/s per
//     connection) throttles senders, so disable it (RateLimit: -1) on the
//     server under test. Server-side figures are not available.
//
// Only loopback servers are accepted (localhost, 127.0.0.0/8, ::1): a load
// generator aimed at someone else's server is a denial-of-service tool.
// -allow-remote lifts the check for servers you run elsewhere.
//
// # Output
//
// clients, rooms, duration, broadcasts acknowledged, deliveries and
// deliveries/s, latency p50/p99/p99.9/max, and, when the server is local,
// heap+stack and RSS growth per idle connection, goroutines per connection,
// server CPU time per delivery and frames per write syscall (how well the
// engine batches). In-process figures mix client and server costs; use
// -spawn to separate them. -cpuprofile FILE writes a CPU profile of the
// process that runs the server (with -spawn, of the child alone), for
// go tool pprof. It exits with status 1 if a delivery is missing.
//
// # Examples
//
//	go run ./cmd/parlor-load -clients 1000 -duration 10s
//	go run ./cmd/parlor-load -spawn -server-procs 1 -clients 1000 -duration 10s
//	go build -o /tmp/parlor-load ./cmd/parlor-load &&
//	  taskset -c 1 /tmp/parlor-load -spawn -server-cpu 0 -server-procs 1
//	go run ./cmd/parlor-load -url ws://127.0.0.1:8080/ws -auth "Authorization: Bearer dev" -clients 200
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/parlorhq/parlor/internal/loopback"
	"io"
	"math"
	"math/bits"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
)

// config holds the command-line flags.
type config struct {
	url         string
	clients     int
	rooms       int
	senders     int
	inflight    int
	size        int
	duration    time.Duration
	auth        string
	allowRemote bool
	spawn       bool
	serverProcs int
	serverCPU   string
	cpuProfile  string
	serve       string
	dialConc    int
	roomPrefix  string
}

func main() {
	var cfg config
	flag.StringVar(&cfg.url, "url", "", "ws:// URL of an existing server (empty: start one in this process)")
	flag.IntVar(&cfg.clients, "clients", 1000, "number of client connections")
	flag.IntVar(&cfg.rooms, "rooms", 1, "number of echo rooms; clients are spread round-robin")
	flag.IntVar(&cfg.senders, "senders", 1, "senders per room (the room's first clients)")
	flag.IntVar(&cfg.inflight, "inflight", 16, "requests in flight per sender")
	flag.IntVar(&cfg.size, "size", 100, "text bytes per say event (at least 21: the timestamp)")
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long senders send")
	flag.StringVar(&cfg.auth, "auth", "", `header sent with each upgrade to an external server, e.g. "Authorization: Bearer X"`)
	flag.BoolVar(&cfg.allowRemote, "allow-remote", false, "allow a -url that is not a loopback address")
	flag.BoolVar(&cfg.spawn, "spawn", false, "run the server in a child process, measured apart from the clients")
	flag.IntVar(&cfg.serverProcs, "server-procs", 0, "GOMAXPROCS of the -spawn child (0: inherit)")
	flag.StringVar(&cfg.serverCPU, "server-cpu", "", "pin the -spawn child to these CPUs with taskset, e.g. 0")
	flag.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the server's process to this file (with -spawn, of the child alone)")
	flag.StringVar(&cfg.serve, "serve", "", "internal: serve on this address until stdin closes (used by -spawn)")
	flag.IntVar(&cfg.dialConc, "dial-concurrency", 64, "clients dialing at the same time")
	flag.StringVar(&cfg.roomPrefix, "room-prefix", "load", "echo room names are PREFIX-0, PREFIX-1, ...")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if cfg.cpuProfile != "" && (cfg.serve != "" || !cfg.spawn) {
		f, ferr := os.Create(cfg.cpuProfile)
		if ferr != nil {
			fmt.Fprintln(os.Stderr, "parlor-load:", ferr)
			os.Exit(1)
		}
		if ferr := pprof.StartCPUProfile(f); ferr != nil {
			fmt.Fprintln(os.Stderr, "parlor-load:", ferr)
			os.Exit(1)
		}
		defer func() {
			pprof.StopCPUProfile()
			_ = f.Close()
		}()
	}
	if cfg.serve != "" {
		err = serveChild(ctx, cfg.serve)
	} else {
		err = run(ctx, cfg, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "parlor-load:", err)
		pprof.StopCPUProfile()
		stop()
		os.Exit(1)
	}
}

// ---------------------------------------------------------------- server

// serverStats is what a local server reports about itself.
type serverStats struct {
	HeapStack  uint64  `json:"heap_stack"` // HeapInuse + StackInuse after a GC
	RSS        uint64  `json:"rss"`        // VmRSS
	Goroutines int     `json:"goroutines"`
	CPU        float64 `json:"cpu"`         // user + system seconds
	WriteCalls uint64  `json:"write_calls"` // syscw
	Procs      int     `json:"procs"`       // GOMAXPROCS
}

// target is the server under test.
type target struct {
	url   string
	kind  string                          // "in-process", "child process", "external"
	stats func() (serverStats, error)     // nil for an external server
	stop  func(ctx context.Context) error // nil for an external server
}

// localStats measures this process.
func localStats() (serverStats, error) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := serverStats{
		HeapStack:  ms.HeapInuse + ms.StackInuse,
		Goroutines: runtime.NumGoroutine(),
		Procs:      runtime.GOMAXPROCS(0),
	}
	var err error
	if st.RSS, err = procStatusKB("VmRSS"); err != nil {
		return st, err
	}
	st.RSS *= 1024
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		st.CPU = tvSeconds(ru.Utime) + tvSeconds(ru.Stime)
	}
	st.WriteCalls, _ = procIO("syscw")
	return st, nil
}

func tvSeconds(tv syscall.Timeval) float64 {
	return float64(tv.Sec) + float64(tv.Usec)/1e6
}

// procStatusKB reads a "kB" field of /proc/self/status.
func procStatusKB(field string) (uint64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/self/status", field)
}

// procIO reads a field of /proc/self/io.
func procIO(field string) (uint64, error) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/self/io", field)
}

// startServer starts an engine with the echo module on addr. The returned
// stop function shuts down the engine and the listener.
func startServer(addr string, withStats bool) (wsURL string, stop func(context.Context) error, err error) {
	e, err := engine.New(engine.Config{
		// Load-test identities: the user is whatever ?user= says. Never
		// authenticate like this outside a load test.
		Authenticate: loopback.AuthenticateQuery,
		Secret:       []byte("parlor-load"),
		RateLimit:    -1, // senders send thousands of frames a second
	})
	if err != nil {
		return "", nil, err
	}
	if err := e.Register(echo.Module{}); err != nil {
		return "", nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/ws", e)
	if withStats {
		mux.HandleFunc("/parlor-load/stats", func(w http.ResponseWriter, _ *http.Request) {
			st, err := localStats()
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			_ = json.NewEncoder(w).Encode(st)
		})
	}
	bound, stop, err := loopback.Serve(addr, mux, e)
	if err != nil {
		return "", nil, err
	}
	return "ws://" + bound + "/ws", stop, nil
}

// serveChild is the -serve mode: serve until stdin closes or a signal.
func serveChild(ctx context.Context, addr string) error {
	if !isLoopbackHost(hostOnly(addr)) {
		return fmt.Errorf("-serve %s: only loopback addresses", addr)
	}
	wsURL, stop, err := startServer(addr, true)
	if err != nil {
		return err
	}
	fmt.Println(wsURL) // the parent reads this line
	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	select {
	case <-stdinClosed:
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return stop(sctx)
}

// spawnServer runs this binary with -serve in a child process.
func spawnServer(procs int, cpus, cpuProfile string) (*target, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{exe, "-serve", "127.0.0.1:0"}
	if cpuProfile != "" {
		args = append(args, "-cpuprofile", cpuProfile)
	}
	if cpus != "" {
		taskset, err := exec.LookPath("taskset")
		if err != nil {
			return nil, fmt.Errorf("-server-cpu needs taskset: %w", err)
		}
		args = append([]string{taskset, "-c", cpus}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = os.Environ()
	if procs > 0 {
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+strconv.Itoa(procs))
	}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, stdout)
		exited <- cmd.Wait()
	}()
	stop := func(ctx context.Context) error {
		_ = stdin.Close() // asks the child to shut down
		select {
		case err := <-exited:
			return err
		case <-ctx.Done():
			_ = cmd.Process.Kill() // our own child, by pid
			<-exited
			return fmt.Errorf("server child did not stop in time; killed it")
		}
	}
	var wsURL string
	select {
	case wsURL = <-lines:
	case <-time.After(15 * time.Second):
	}
	if wsURL == "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = stop(ctx)
		return nil, errors.New("server child did not report its address")
	}
	statsURL := "http://" + strings.TrimSuffix(strings.TrimPrefix(wsURL, "ws://"), "/ws") + "/parlor-load/stats"
	stats := func() (serverStats, error) {
		var st serverStats
		resp, err := http.Get(statsURL)
		if err != nil {
			return st, err
		}
		defer resp.Body.Close()
		return st, json.NewDecoder(resp.Body).Decode(&st)
	}
	return &target{url: wsURL, kind: "child process", stats: stats, stop: stop}, nil
}

func hostOnly(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// checkURL validates an external -url.
func checkURL(raw string, allowRemote bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("-url: %w", err)
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return fmt.Errorf("-url %s: scheme must be ws or wss", raw)
	}
	if !isLoopbackHost(u.Hostname()) && !allowRemote {
		return fmt.Errorf("refusing -url %s: %q is not a loopback address. A load generator aimed at a "+
			"server you do not run is a denial-of-service tool, so only localhost, 127.0.0.0/8 and ::1 "+
			"are allowed; pass -allow-remote to test your own server elsewhere", raw, u.Hostname())
	}
	return nil
}

// ---------------------------------------------------------------- latency

// histogram counts latencies in microseconds, log-linear with 32
// sub-buckets per power of two (about 3% resolution).
type histogram struct {
	counts []uint32
	max    int64 // nanoseconds
	n      uint64
}

const subBits = 5

func bucketOf(us uint64) int {
	if us < 1<<subBits {
		return int(us)
	}
	e := bits.Len64(us) - subBits - 1
	return (e+1)<<subBits + int(us>>e) - 1<<subBits
}

// bucketLow is the smallest value of bucket b.
func bucketLow(b int) uint64 {
	if b < 1<<subBits {
		return uint64(b)
	}
	e := b>>subBits - 1
	return uint64(b&(1<<subBits-1)+1<<subBits) << e
}

func (h *histogram) record(ns int64) {
	if ns < 0 {
		ns = 0
	}
	b := bucketOf(uint64(ns / 1000))
	if b >= len(h.counts) {
		h.counts = append(h.counts, make([]uint32, b+1-len(h.counts))...)
	}
	h.counts[b]++
	h.n++
	h.max = max(h.max, ns)
}

func (h *histogram) merge(o *histogram) {
	if len(o.counts) > len(h.counts) {
		h.counts = append(h.counts, make([]uint32, len(o.counts)-len(h.counts))...)
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile returns the q-quantile, as the middle of its bucket.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	var seen uint64
	for b, c := range h.counts {
		seen += uint64(c)
		if seen >= rank {
			lo, hi := bucketLow(b), bucketLow(b+1)
			return time.Duration((lo+hi)/2) * time.Microsecond
		}
	}
	return time.Duration(h.max)
}

// textKey is the msgpack fixstr "text", the key of echo.Said.Text.
var textKey = []byte("\xa4text")

// sentAt extracts the send time from a said event's payload without a
// full decode; ok is false if the fast path does not apply.
func sentAt(data []byte) (int64, bool) {
	i := bytes.Index(data, textKey)
	if i < 0 {
		return 0, false
	}
	rest := data[i+len(textKey):]
	switch {
	case len(rest) > 1 && rest[0] >= 0xa0 && rest[0] <= 0xbf:
		rest = rest[1:]
	case len(rest) > 2 && rest[0] == 0xd9:
		rest = rest[2:]
	case len(rest) > 3 && rest[0] == 0xda:
		rest = rest[3:]
	default:
		return 0, false
	}
	return parseStamp(rest)
}

// parseStamp reads "@<digits>" at the start of b.
func parseStamp(b []byte) (int64, bool) {
	if len(b) < 2 || b[0] != '@' {
		return 0, false
	}
	var v int64
	n := 0
	for _, c := range b[1:] {
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + int64(c-'0')
		n++
	}
	return v, n > 0
}

// makeText builds a say text of size bytes starting with the send time.
func makeText(buf []byte, size int, now time.Time) []byte {
	buf = append(buf[:0], '@')
	buf = strconv.AppendInt(buf, now.UnixNano(), 10)
	buf = append(buf, ' ')
	for len(buf) < size {
		buf = append(buf, 'x')
	}
	return buf
}

// ---------------------------------------------------------------- run

// reader drains one client's events.
type reader struct {
	hist      histogram
	delivered atomic.Int64
	parseErrs int
}

func (rd *reader) run(c *client.Client, wg *sync.WaitGroup) {
	defer wg.Done()
	for ev := range c.Events() {
		if ev.Name != "said" {
			continue
		}
		now := time.Now().UnixNano()
		sent, ok := sentAt(ev.Data)
		if !ok {
			var s echo.Said
			if ev.Decode(&s) == nil {
				sent, ok = parseStamp([]byte(s.Text))
			}
		}
		if ok {
			rd.hist.record(now - sent)
		} else {
			rd.parseErrs++
		}
		rd.delivered.Add(1)
	}
}

// sendStats counts one sender's requests.
type sendStats struct {
	acked  atomic.Int64
	failed atomic.Int64
	mu     sync.Mutex
	errs   map[string]int
}

func (s *sendStats) fail(err error) {
	s.failed.Add(1)
	key := err.Error()
	var ce *codec.Error
	if errors.As(err, &ce) {
		key = string(ce.Code)
	}
	s.mu.Lock()
	if s.errs == nil {
		s.errs = map[string]int{}
	}
	s.errs[key]++
	s.mu.Unlock()
}

func run(ctx context.Context, cfg config, out io.Writer) error {
	if cfg.clients < 1 || cfg.rooms < 1 || cfg.senders < 0 || cfg.inflight < 1 || cfg.dialConc < 1 {
		return errors.New("-clients, -rooms, -inflight and -dial-concurrency must be positive")
	}
	if cfg.rooms > cfg.clients {
		return errors.New("-rooms must not exceed -clients")
	}
	if cfg.size < 21 || cfg.size > echo.MaxTextLen {
		return fmt.Errorf("-size must be 21 to %d bytes", echo.MaxTextLen)
	}

	// The server under test.
	var tgt *target
	switch {
	case cfg.url != "":
		if cfg.spawn {
			return errors.New("-url and -spawn exclude each other")
		}
		if err := checkURL(cfg.url, cfg.allowRemote); err != nil {
			return err
		}
		tgt = &target{url: cfg.url, kind: "external"}
	case cfg.spawn:
		var err error
		if tgt, err = spawnServer(cfg.serverProcs, cfg.serverCPU, cfg.cpuProfile); err != nil {
			return err
		}
	default:
		wsURL, stop, err := startServer("127.0.0.1:0", false)
		if err != nil {
			return err
		}
		tgt = &target{url: wsURL, kind: "in-process", stats: localStats, stop: stop}
	}
	defer func() {
		if tgt.stop != nil {
			sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := tgt.stop(sctx); err != nil {
				fmt.Fprintln(os.Stderr, "parlor-load: stopping server:", err)
			}
		}
	}()

	header := http.Header{}
	if cfg.auth != "" {
		name, value, ok := strings.Cut(cfg.auth, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return errors.New(`-auth must look like "Header-Name: value"`)
		}
		header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	sep := "?"
	if strings.Contains(tgt.url, "?") {
		sep = "&"
	}

	fmt.Fprintf(out, "parlor-load: %d clients, %d room(s), %d sender(s)/room, %d in flight each, %d-byte text, %s\n",
		cfg.clients, cfg.rooms, cfg.senders, cfg.inflight, cfg.size, cfg.duration)
	switch tgt.kind {
	case "in-process":
		fmt.Fprintf(out, "server: in-process at %s; clients and server share this process (GOMAXPROCS=%d, %d CPUs)\n",
			tgt.url, runtime.GOMAXPROCS(0), runtime.NumCPU())
	case "child process":
		pinned := ""
		if cfg.serverCPU != "" {
			pinned = ", pinned to CPU " + cfg.serverCPU
		}
		fmt.Fprintf(out, "server: child process at %s (server GOMAXPROCS=%s%s; clients GOMAXPROCS=%d, %d CPUs)\n",
			tgt.url, procsString(cfg.serverProcs), pinned, runtime.GOMAXPROCS(0), runtime.NumCPU())
	default:
		fmt.Fprintf(out, "server: external at %s\n", tgt.url)
	}

	var before serverStats
	if tgt.stats != nil {
		var err error
		if before, err = tgt.stats(); err != nil {
			return fmt.Errorf("server stats: %w", err)
		}
	}

	// Connect and join.
	clients := make([]*client.Client, cfg.clients)
	defer closeAll(clients)
	roomIDs := make([]string, cfg.rooms)
	members := make([]int, cfg.rooms)
	connectStart := time.Now()
	dctx, cancelDial := context.WithCancel(ctx)
	defer cancelDial()
	var dialErr error
	var errOnce sync.Once
	sem := make(chan struct{}, cfg.dialConc)
	var wg sync.WaitGroup
	for i := range clients {
		if dctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c, err := client.Dial(dctx, fmt.Sprintf("%s%suser=u%d", tgt.url, sep, i), client.Options{
				Header: header, Client: "parlor-load", EventBuffer: 256,
				// A dropped connection is a failure to report, not to hide.
				Reconnect: client.ReconnectPolicy{Disabled: true},
			})
			if err == nil {
				clients[i] = c
				var j *client.Joined
				j, err = c.Join(dctx, echo.Kind, echo.JoinParams{Name: fmt.Sprintf("%s-%d", cfg.roomPrefix, i%cfg.rooms)})
				if err == nil && i < cfg.rooms {
					roomIDs[i] = j.Room
				}
			}
			if err != nil {
				errOnce.Do(func() {
					dialErr = fmt.Errorf("client %d: %w", i, err)
					cancelDial()
				})
			}
		})
	}
	wg.Wait()
	if dialErr != nil {
		return dialErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range clients {
		members[i%cfg.rooms]++
	}
	fmt.Fprintf(out, "connect: %d clients dialed and joined in %s\n", cfg.clients, time.Since(connectStart).Round(time.Millisecond))

	// Idle cost per connection.
	var idle serverStats
	if tgt.stats != nil {
		time.Sleep(500 * time.Millisecond) // let writers and handshakes settle
		var err error
		if idle, err = tgt.stats(); err != nil {
			return fmt.Errorf("server stats: %w", err)
		}
		n := float64(cfg.clients)
		who := "server"
		if tgt.kind == "in-process" {
			who = "process (server + clients)"
		}
		fmt.Fprintf(out, "idle memory, %s: heap+stack %+.1f MiB = %.1f KiB/conn; RSS %+.1f MiB = %.1f KiB/conn; goroutines %+d = %.2f/conn\n",
			who,
			mib(int64(idle.HeapStack)-int64(before.HeapStack)), kib(int64(idle.HeapStack)-int64(before.HeapStack))/n,
			mib(int64(idle.RSS)-int64(before.RSS)), kib(int64(idle.RSS)-int64(before.RSS))/n,
			idle.Goroutines-before.Goroutines, float64(idle.Goroutines-before.Goroutines)/n)
	}

	// Readers.
	readers := make([]*reader, cfg.clients)
	var readWG sync.WaitGroup
	for i, c := range clients {
		readers[i] = &reader{}
		readWG.Add(1)
		go readers[i].run(c, &readWG)
	}

	// Senders.
	stats := make([]*sendStats, cfg.rooms)
	for r := range stats {
		stats[r] = &sendStats{}
	}
	runCtx, cancelRun := context.WithTimeout(ctx, cfg.duration)
	defer cancelRun()
	var sendWG sync.WaitGroup
	runStart := time.Now()
	for i, c := range clients {
		r := i % cfg.rooms
		if i/cfg.rooms >= cfg.senders {
			continue
		}
		for range cfg.inflight {
			sendWG.Go(func() { sendLoop(runCtx, c, roomIDs[r], cfg.size, stats[r]) })
		}
	}
	sendWG.Wait()
	sendElapsed := time.Since(runStart)

	// Drain: wait for the events of every acknowledged broadcast.
	var expected int64
	var acked, failed int64
	for r, st := range stats {
		expected += st.acked.Load() * int64(members[r])
		acked += st.acked.Load()
		failed += st.failed.Load()
	}
	delivered := func() int64 {
		var n int64
		for _, rd := range readers {
			n += rd.delivered.Load()
		}
		return n
	}
	last, lastChange := delivered(), time.Now()
	for ctx.Err() == nil {
		n := delivered()
		if n >= expected {
			break
		}
		if n != last {
			last, lastChange = n, time.Now()
		} else if time.Since(lastChange) > 3*time.Second {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(runStart)
	total := delivered()
	var after serverStats
	if tgt.stats != nil {
		after, _ = tgt.stats()
	}

	// Close clients, then merge what the readers saw.
	closed := 0
	for _, c := range clients {
		select {
		case <-c.Done():
			closed++
		default:
		}
	}
	closeAll(clients)
	readWG.Wait()
	var hist histogram
	parseErrs := 0
	for _, rd := range readers {
		hist.merge(&rd.hist)
		parseErrs += rd.parseErrs
	}

	fmt.Fprintf(out, "run: senders sent for %s; last event %s after start\n", sendElapsed.Round(time.Millisecond), elapsed.Round(time.Millisecond))
	fmt.Fprintf(out, "broadcasts: %d acknowledged (%.0f/s), %d failed%s\n", acked, float64(acked)/sendElapsed.Seconds(), failed, errSummary(stats))
	fmt.Fprintf(out, "deliveries: %d of %d expected, %.0f/s\n", total, expected, float64(total)/elapsed.Seconds())
	fmt.Fprintf(out, "latency send->receive: p50 %s  p99 %s  p99.9 %s  max %s  (%d samples",
		fmtDur(hist.quantile(0.50)), fmtDur(hist.quantile(0.99)), fmtDur(hist.quantile(0.999)), fmtDur(time.Duration(hist.max)), hist.n)
	if parseErrs > 0 {
		fmt.Fprintf(out, ", %d without a timestamp", parseErrs)
	}
	fmt.Fprintln(out, ")")
	if closed > 0 {
		fmt.Fprintf(out, "WARNING: %d clients were closed by the server during the run (slow consumer?)\n", closed)
	}
	if tgt.stats != nil && total > 0 {
		cpu := after.CPU - idle.CPU
		writes := int64(after.WriteCalls - idle.WriteCalls)
		who := "server"
		if tgt.kind == "in-process" {
			who = "process (server + clients)"
			writes -= acked // the sender's own request writes
		}
		fmt.Fprintf(out, "%s CPU: %.2fs = %.2f cores, %.2f us/delivery\n", who, cpu, cpu/elapsed.Seconds(), cpu/float64(total)*1e6)
		if writes > 0 {
			fmt.Fprintf(out, "server write syscalls: %d, %.1f deliveries per write\n", writes, float64(total)/float64(writes))
		}
	}
	if total < expected {
		return fmt.Errorf("%d deliveries missing", expected-total)
	}
	return nil
}

// sendLoop sends say events until ctx ends.
func sendLoop(ctx context.Context, c *client.Client, roomID string, size int, st *sendStats) {
	buf := make([]byte, 0, size)
	var data []byte
	for ctx.Err() == nil {
		buf = makeText(buf, size, time.Now())
		data = codec.AppendMapHeader(data[:0], 1)
		data = codec.AppendString(data, "text")
		data = codec.AppendString(data, string(buf))
		// The request itself is not bounded by the run's deadline: an
		// event that was sent is waited for.
		rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := c.Send(rctx, roomID, "say", data)
		cancel()
		if err != nil {
			st.fail(err)
			select {
			case <-c.Done():
				return
			default:
			}
			continue
		}
		st.acked.Add(1)
	}
}

func closeAll(clients []*client.Client) {
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for _, c := range clients {
		if c == nil {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			_ = c.Close()
		})
	}
	wg.Wait()
}

func errSummary(stats []*sendStats) string {
	all := map[string]int{}
	for _, st := range stats {
		st.mu.Lock()
		for k, v := range st.errs {
			all[k] += v
		}
		st.mu.Unlock()
	}
	if len(all) == 0 {
		return ""
	}
	var parts []string
	for k, v := range all {
		parts = append(parts, fmt.Sprintf("%s: %d", k, v))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func procsString(n int) string {
	if n <= 0 {
		return "inherited"
	}
	return strconv.Itoa(n)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
func kib(b int64) float64 { return float64(b) / (1 << 10) }

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%dus", d.Microseconds())
	}
}
