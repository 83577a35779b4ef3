// Command parlor-chatload measures how many chat messages per second one
// process persists and delivers, and the price of durability: the same
// load with the bbolt store and with the in-memory store.
//
// # What it does
//
// It starts an engine with the chat modules on 127.0.0.1, in this process
// (or in a child: -spawn), with rate limits off, and a store: -store bolt
// (a bbolt file, -db, by default a new file in the temporary directory
// that is removed at the end), -store memory, or -store postgres
// (chat/pgstore on the database named by -dsn, in a new schema that is
// dropped at the end). It connects -rooms × -size clients, one user
// each, and puts them in -rooms conversations of -size members: direct
// conversations when -size is 2, groups otherwise. Then -senders members
// of every room send messages of -text bytes, each waiting for its ack
// before sending the next (-inflight requests in flight per sender), for
// -warmup and then -duration. Only the -duration window is measured.
//
// Every member counts the message events it receives. The sender puts its
// clock at the start of the text, so each receiver measures the latency
// from send to delivery; the ack latency is measured from send to reply,
// and a reply means the message is durable in the store.
//
// The clients speak the protocol over gws directly (wire.go), not
// through package client: each one's read loop records the acks and the
// deliveries as it decodes them, and wakes only the send loop whose ack
// came, so the generator costs less CPU per message and adds no hand-off
// of its own to the latencies. A client does not reconnect.
//
// # Closed and open loop
//
// By default every sender sends in a closed loop, as above. With -rate N
// the sends follow a schedule of N messages per second in all, handed
// out in turn to every send loop, and the text carries each message's
// due time: ack and delivery latencies are measured from it, so the time
// a message waited for a free send loop counts too. Each conversation
// still has at most -senders × -inflight messages in flight.
//
// # The server in a process of its own
//
// With -spawn the server runs in a child process (this binary with
// -serve), so that the clients' CPU and the server's are measured apart:
// the report then shows client_cores and server_cores, and the CPU
// microseconds per persisted message of each. -server-cpuprofile and
// -server-trace fetch the child's CPU profile and execution trace of the
// measured time; -cpuprofile and -trace are this process's (with -spawn,
// the clients' alone). The child serves net/http/pprof under
// /debug/pprof/ on its loopback address.
//
// -pin (with -spawn) gives each process a CPU of its own: the child runs
// on the first CPU this process may use and the clients on the second,
// each with GOMAXPROCS 1 (sched_setaffinity on every thread; Linux only,
// and at least two CPUs). Neither process's goroutines then wait in the
// run queue behind the other's, so what is left of the latency is the
// server's own, and the rest of the machine's (other_cores). The report
// adds server_cpu and gen_cpu.
//
// # Looking at the tail
//
// -ack-log FILE writes every ack of the measured time, its due (or send)
// time in Unix nanoseconds and its latency in nanoseconds, one a line, to
// lay the slow ones over an execution trace. The report shows what the
// garbage collector of this process (and of a -spawn child) did in the
// measured time: cycles per second, cores, live heap. -sync-probe N runs
// no load: it times N rounds of what one bbolt commit asks of the disk
// (write a page, sync, write the meta page, sync) in -db's directory.
//
// # Stalled clients
//
// -stalled F makes that fraction of the clients (rounded, at least one
// when F > 0) stall: they join their conversation like the others, and
// once every client has joined they stop reading: their read loop blocks
// at the next message, and their TCP connections stay
// open with nothing read from them, so the server queues what it sends
// them until its outbox bound closes them (4008). They never send and
// never reconnect (no client does). They are the last member of evenly spaced
// conversations (one per conversation while there are enough). The
// figures of the others are reported as usual, and again for the members
// of conversations that have a stalled member (the "neighbours");
// stalled_closed says how many sessions the server had closed by the end
// of the measured time (all of them stalled ones, when no send failed).
//
// # Output
//
// While the load runs, a progress line on stderr shows the elapsed time,
// the messages persisted so far, their rate and the ack p99 so far (of
// the measured time): one line rewritten in place on a terminal, a plain
// line every 5 seconds otherwise. The report is one line of key=value
// pairs: the setup, persisted (acked) messages/s,
// delivered messages/s (events received by members other than the
// sender), ack and delivery latency p50 and p99, for bbolt the commits
// per second and writes per commit (how many messages share its syncs),
// and on Linux the CPU cores this process used and the cores other
// processes used meanwhile (a run with other load is not comparable).
// -json FILE also writes them as JSON (the fields of loadgen.Result, with
// the ack latency as the headline, then the chat's own). Latencies are
// kept in HDR histograms (3 significant figures). It exits with status 1
// if a delivery is missing.
//
// # Examples
//
//	go run ./cmd/parlor-chatload -store bolt -rooms 1000 -size 2 -duration 10s
//	go run ./cmd/parlor-chatload -store memory -rooms 50 -size 20 -duration 10s
//	go run ./cmd/parlor-chatload -store postgres -dsn "$DATABASE_URL" -rooms 1000 -size 2
//	go run ./cmd/parlor-chatload -store bolt -rooms 1000 -size 2 -rate 5000 -json /tmp/chat.json
//	go run ./cmd/parlor-chatload -store bolt -rooms 1000 -size 2 -stalled 0.01
//	go run ./cmd/parlor-chatload -store bolt -rooms 500 -size 2 -rate 5650 -spawn -ack-log /tmp/acks.txt -server-trace /tmp/srv.trace
//	go run ./cmd/parlor-chatload -store bolt -rooms 500 -size 2 -rate 9000 -spawn -pin
//	go run ./cmd/parlor-chatload -sync-probe 300
package main

import (
	"fmt"
	"os"
)

func main() {
	cfg := parseFlags()
	var err error
	switch {
	case cfg.serve != "":
		err = serveChild(cfg)
	case cfg.syncProbe > 0:
		err = runSyncProbe(cfg, os.Stdout)
	default:
		err = run(cfg)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "parlor-chatload:", err)
		os.Exit(1)
	}
}
