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
// # Closed and open loop
//
// By default the load is a closed loop: each of a sender's -inflight send
// loops sends its next event when the previous one is acked, so a slower
// server gets fewer sends. With -rate N the load is an open loop: the
// sends are scheduled at N broadcasts per second in all, handed out in
// turn to every send loop, and each event carries its scheduled (due)
// time instead of its send time. Latency is then measured from the due
// time, so time spent waiting for a free send loop counts: a server that
// falls behind shows its queueing instead of hiding it. No send due at or
// after the end of -duration is sent, however far behind the send loops
// are. -inflight bounds the broadcasts in flight in both modes.
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
// While the senders send, a progress line on stderr shows the elapsed
// time, the deliveries so far, their rate and the p99 latency so far: one
// line rewritten in place on a terminal, a plain line every 5 seconds
// otherwise. The report then gives clients, rooms, duration, broadcasts acknowledged, deliveries and
// deliveries/s, latency p50/p99/p99.9/max, and, when the server is local,
// heap+stack and RSS growth per idle connection, goroutines per connection,
// server CPU time per delivery and frames per write syscall (how well the
// engine batches). In-process figures mix client and server costs; use
// -spawn to separate them. -cpuprofile FILE writes a CPU profile of the
// process that runs the server (with -spawn, of the child alone), for
// go tool pprof. -json FILE also writes the results as JSON (the fields
// of loadgen.Result, then the fan-out's own). Latencies are kept in an
// HDR histogram (3 significant figures). It exits with status 1 if a
// delivery is missing.
//
// # Idle connections beside a busy room (-idle)
//
// With -idle N (and -spawn), N more connections are held beside the busy
// rooms, as the idle majority of a real server's users: bare WebSockets
// that connect, join an echo room of -idle-room-size members and then
// only answer the server's pings. On a fresh server the tool opens them
// and reports what each costs the server (heap+stack, RSS, goroutines);
// measures the server's CPU for -idle-window while only they are
// connected, the cost of the heartbeat (-heartbeat sets the server's ping
// interval); runs the broadcast load beside them; closes them; and runs
// the same load again alone, then prints both latencies side by side.
// -idle-rounds N repeats the pair N times in the one run, dialing the
// idle connections again for each round, and prints each phase's p50,
// p99, p99.9, heartbeat pings/s and server CPU per delivery, and each
// condition's samples pooled over the rounds: a p99 from a single 10 s
// phase at 50 broadcasts/s rests on its five worst broadcasts. A 5 s
// warm-up of the load, not counted, comes first. -trace FILE writes a 3 s
// execution trace of the server 5 s into each phase (FILE-with-idle-1,
// FILE-alone-1, ...), for go tool trace.
// One source address has about 28,000 ephemeral ports (the kernel's
// ip_local_port_range): -sources K dials the idle connections from
// 127.0.0.2 to 127.0.0.(1+K) in turn, so 8 or more pass 200,000. The tool
// raises its open-file limit (RLIMIT_NOFILE) to what the connections need,
// up to the hard limit (past it when run as root with CAP_SYS_RESOURCE),
// and the server child inherits it; it stops with the limits named when
// that is not enough.
//
// # Examples
//
//	go run ./cmd/parlor-load -clients 1000 -duration 10s
//	go run ./cmd/parlor-load -spawn -server-procs 1 -clients 1000 -duration 10s
//	go run ./cmd/parlor-load -clients 1000 -inflight 64 -rate 500 -json /tmp/fanout.json
//	go build -o /tmp/parlor-load ./cmd/parlor-load &&
//	  taskset -c 1 /tmp/parlor-load -spawn -server-cpu 0 -server-procs 1
//	go build -o /tmp/parlor-load ./cmd/parlor-load &&
//	  /tmp/parlor-load -spawn -clients 1000 -rate 100 -idle 100000 -sources 8
//	go run ./cmd/parlor-load -url ws://127.0.0.1:8080/ws -auth "Authorization: Bearer dev" -clients 200
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/parlorhq/parlor/internal/loadgen"
)

func main() {
	cfg := parseFlags()
	err := loadgen.Interruptible(cfg.ownProfile(), func(ctx context.Context) error {
		if cfg.serve != "" {
			return serveChild(ctx, cfg.serve, cfg.heartbeat)
		}
		if cfg.idle > 0 {
			return runIdle(ctx, cfg, os.Stdout)
		}
		return run(ctx, cfg, os.Stdout)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "parlor-load:", err)
		os.Exit(1)
	}
}
