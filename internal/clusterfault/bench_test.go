package clusterfault

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/tictactoe"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/internal/loadgen"
)

// The cluster benchmarks measure whole processes for a fixed time per
// iteration: run them with -benchtime 1x. Each reports its own figures
// with b.ReportMetric; ns/op is the length of one measured run.

// Settings of BenchmarkClusterFanout.
const (
	fanoutClients  = 3000
	fanoutInflight = 16
	fanoutTextLen  = 100
	fanoutWindow   = 5 * time.Second
)

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's times
// (100 on every Linux platform Go supports).
const clockTicks = 100

// procCPU returns the user and system CPU time process pid has used.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which ends with the last ')'.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// load1 returns the machine's one-minute load average, or -1 if
// /proc/loadavg cannot be read.
func load1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}

// serverCPU sums the CPU time of every node and NATS server.
func (c *parlor) serverCPU() time.Duration {
	var d time.Duration
	for _, n := range c.nodes {
		d += procCPU(n.p.cmd.Process.Pid)
	}
	for _, s := range c.nats.servers {
		d += procCPU(s.p.cmd.Process.Pid)
	}
	return d
}

// cpuSplit is the CPU time the cluster's processes have used: the nodes
// (by node), and this process, which runs a benchmark's clients.
type cpuSplit struct {
	nodes   []time.Duration
	clients time.Duration
}

// cpuSplit reads c's nodes' CPU time and this process's.
func (c *parlor) cpuSplit() cpuSplit {
	s := cpuSplit{clients: procCPU(os.Getpid())}
	for _, n := range c.nodes {
		s.nodes = append(s.nodes, procCPU(n.p.cmd.Process.Pid))
	}
	return s
}

// sub returns the CPU time used between earlier and s.
func (s cpuSplit) sub(earlier cpuSplit) cpuSplit {
	d := cpuSplit{clients: s.clients - earlier.clients}
	for i, n := range s.nodes {
		if i < len(earlier.nodes) {
			n -= earlier.nodes[i]
		}
		d.nodes = append(d.nodes, n)
	}
	return d
}

// report adds each node's CPU and the clients' (this process's) as a
// share of one core over elapsed: with nats-cpu-%, where the cores went.
func (s cpuSplit) report(b interface{ ReportMetric(float64, string) }, elapsed time.Duration) {
	for i, n := range s.nodes {
		b.ReportMetric(100*n.Seconds()/elapsed.Seconds(), fmt.Sprintf("node%d-cpu-%%", i+1))
	}
	b.ReportMetric(100*s.clients.Seconds()/elapsed.Seconds(), "clients-cpu-%")
}

// BenchmarkClusterFanout: one echo room of 3,000 subscribers (300 with
// -short), its owner on node 1 and one sender there keeping 16 broadcasts
// of 100 bytes in flight. "one node" puts every subscriber on node 1;
// "three nodes" spreads them evenly, so that each broadcast crosses NATS
// once to each of the two other nodes. It reports deliveries per second,
// deliveries per server CPU-second (all three nodes and all three NATS
// servers counted), and the p50 and p99 latency from send to delivery.
func BenchmarkClusterFanout(b *testing.B) {
	for _, spread := range []int{1, 3} {
		name := map[int]string{1: "one node", 3: "three nodes"}[spread]
		b.Run(name, func(b *testing.B) { benchFanout(b, spread) })
	}
}

func benchFanout(b *testing.B, spread int) {
	n := fanoutClients
	if testing.Short() {
		n /= 10
	}
	c := startParlor(b)
	opts := client.Options{EventBuffer: 256, RequestTimeout: 30 * time.Second, Reconnect: client.ReconnectPolicy{Disabled: true}}
	sender := dial(b, c.nodeURL(0, "sender"), opts)
	params := echo.JoinParams{Name: "fanout"}
	r, err := join(b, sender, echo.Kind, params)
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		for range sender.Events() { // the sender's own copies
		}
	}()
	rec := loadgen.NewRecorder(0)
	var delivered atomic.Int64
	clients := make([]*client.Client, n)
	err = loadgen.Parallel(ctxTimeout(b, 5*time.Minute), n, 32, func(ctx context.Context, i int) error {
		user := fmt.Sprint("u", i)
		cl, err := client.Dial(ctx, c.nodeURL(i%spread, user), opts)
		if err != nil {
			return err
		}
		clients[i] = cl
		if _, err := cl.Join(ctx, echo.Kind, params); err != nil {
			return err
		}
		go func() {
			for ev := range cl.Events() {
				if ev.Name != "said" {
					continue
				}
				var s echo.Said
				if ev.Decode(&s) != nil {
					continue
				}
				at, err := strconv.ParseInt(strings.Fields(s.Text)[0], 10, 64)
				if err == nil {
					rec.Record(i, time.Duration(time.Now().UnixNano()-at))
				}
				delivered.Add(1)
			}
		}()
		return nil
	})
	b.Cleanup(func() { loadgen.CloseAll(clients) })
	if err != nil {
		b.Fatalf("connect %d subscribers: %v", n, err)
	}
	pad := strings.Repeat("x", fanoutTextLen)
	b.ResetTimer()
	for range b.N {
		delivered.Store(0)
		rec = loadgen.NewRecorder(0)
		cpu0 := c.serverCPU()
		start := time.Now()
		var acked atomic.Int64
		var wg sync.WaitGroup
		for range fanoutInflight {
			wg.Go(func() {
				for time.Since(start) < fanoutWindow {
					text := strconv.FormatInt(time.Now().UnixNano(), 10) + " " + pad
					if _, err := r.Send(context.Background(), "say", echo.SayData{Text: text[:fanoutTextLen]}); err != nil {
						b.Errorf("send: %v", err)
						return
					}
					acked.Add(1)
				}
			})
		}
		wg.Wait()
		want := acked.Load() * int64(n)
		waitFor(30*time.Second, func() bool { return delivered.Load() >= want })
		elapsed := time.Since(start)
		cpu := c.serverCPU() - cpu0
		got := delivered.Load()
		if got < want {
			b.Errorf("%d of %d deliveries arrived", got, want)
		}
		h := rec.Snapshot()
		b.ReportMetric(float64(got)/elapsed.Seconds(), "deliveries/s")
		b.ReportMetric(float64(got)/cpu.Seconds(), "deliveries/cpu-s")
		b.ReportMetric(float64(h.Quantile(0.50).Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(h.Quantile(0.99).Microseconds())/1000, "p99-ms")
	}
}

// Settings of BenchmarkClusterAck.
const (
	ackPairs  = 100
	ackWindow = 5 * time.Second
)

// ackCase is one case of the ack benchmarks: the nodes' stores, where the
// room's owner is, and which NATS server each node uses; or, with single,
// one node with no cluster at all (clusternode -single).
type ackCase struct {
	store  string
	remote bool
	pin    natsPin
	single bool
}

// ackCases are the cases of the ack benchmarks at one rate, side by side.
// Each node connects to a NATS server of its own (pinOwn), so that a
// remote owner's messages cross one route each way, as between nodes
// each beside its own server; the last case puts every node on the same
// server, to show what the route costs. The first case is the reference:
// the same node in its own process with no cluster, so that "owner local"
// shows what the cluster adds to a send that never leaves its node.
var ackCases = []ackCase{
	{storeMemory, false, pinNone, true},
	{storeMemory, false, pinOwn, false},
	{storeMemory, true, pinOwn, false},
	{storeMemory, true, pinFirst, false},
	{storePostgres, false, pinOwn, false},
	{storePostgres, true, pinOwn, false},
}

// start starts the case's node or nodes.
func (k ackCase) start(b *testing.B) *parlor {
	if k.single {
		return startSingle(b, k.store)
	}
	return startParlorPinned(b, k.store, k.pin)
}

// name is the sub-benchmark name of the case; what names the operation.
func (k ackCase) name(what string, rate int) string {
	where := "owner local"
	switch {
	case k.single:
		where = "no cluster"
	case k.remote:
		where = "owner on another node"
	}
	if k.pin == pinFirst {
		where += ", one NATS server"
	}
	return fmt.Sprintf("%s, %s, %s, %d per s", k.store, what, where, rate)
}

// BenchmarkClusterAck measures the ack latency of chat sends at a fixed
// rate in all, 1,000 sends per second and, for a machine that cannot
// store that many, 200, spread over 100 direct conversations. The load is
// an open loop: latency counts from each send's due time, and the
// conversations' sends are due at evenly spread instants (until
// 2026-12-06 all 100 were due at once, which timed the queue of a burst
// of 100 sends rather than one send: docs/benchmarks.md). The senders sit
// on node 1; the conversations' owner is node 1 too ("owner local") or
// node 2 ("owner on another node"), so that each send is forwarded to the
// owner over NATS and its ack comes back on the room's subject; "no
// cluster" is one node with no NATS, the reference. The cases
// (ackCases) run side by side: the nodes' stores in memory ("memory": the
// cluster's own path, no database) and in PostgreSQL ("postgres"); load1
// is the machine's one-minute load average at the end of the case. Beside
// p50 and p99, a case reports p90 and p99.9, what the NATS servers
// handled and their CPU (natsStats), and each node's CPU and the
// clients' (cpuSplit), so that a tail can be told from full cores.
func BenchmarkClusterAck(b *testing.B) {
	for _, rate := range []int{200, 1000} {
		for _, k := range ackCases {
			b.Run(k.name("chat send", rate), func(b *testing.B) { benchChatAck(b, k, rate) })
		}
	}
}

func benchChatAck(b *testing.B, k ackCase, rate int) {
	c := k.start(b)
	remote := k.remote
	opts := client.Options{EventBuffer: 1024, RequestTimeout: 30 * time.Second, Reconnect: client.ReconnectPolicy{Disabled: true}}
	drain := func(cl *client.Client) {
		go func() {
			for range cl.Events() {
			}
		}()
	}
	ownerNode := 0
	if remote {
		ownerNode = 1
	}
	type pair struct {
		sender *client.Client
		room   string
	}
	pairs := make([]pair, ackPairs)
	for k := range pairs {
		s, p := fmt.Sprint("s", k), fmt.Sprint("p", k)
		// The first to join creates the room on its node, which owns it.
		peer := dial(b, c.nodeURL(ownerNode, p), opts)
		if _, err := join(b, peer, chat.KindDM, chat.DMParams{With: s}); err != nil {
			b.Fatal(err)
		}
		drain(peer)
		sender := dial(b, c.nodeURL(0, s), opts)
		r, err := join(b, sender, chat.KindDM, chat.DMParams{With: p})
		if err != nil {
			b.Fatal(err)
		}
		drain(sender)
		pairs[k] = pair{sender, r.Room}
	}
	if remote && c.owner(pairs[0].room, 5*time.Second) != 1 {
		b.Fatal("the conversation is not owned by node 2")
	}
	interval := time.Duration(ackPairs) * time.Second / time.Duration(rate)
	b.ResetTimer()
	for range b.N {
		rec := loadgen.NewRecorder(0)
		var failed atomic.Int64
		var lastErr atomic.Value
		nats0, split0 := c.natsStats(), c.cpuSplit()
		start := time.Now()
		var wg sync.WaitGroup
		for k, pr := range pairs {
			wg.Go(func() {
				var sends sync.WaitGroup
				for i := 0; ; i++ {
					// Each conversation has its own offset in the
					// interval, so that sends arrive spread evenly, as
					// from independent users, not 100 at one instant.
					due := start.Add(time.Duration(i)*interval + time.Duration(k)*interval/ackPairs)
					if due.Sub(start) >= ackWindow {
						break
					}
					time.Sleep(time.Until(due))
					sends.Go(func() {
						_, err := pr.sender.Send(context.Background(), pr.room, chat.OpSend, chat.SendRequest{Text: "hello"})
						if err != nil {
							failed.Add(1)
							lastErr.Store(err.Error())
							return
						}
						rec.Record(k, time.Since(due))
					})
				}
				sends.Wait()
			})
		}
		wg.Wait()
		if n := failed.Load(); n > 0 {
			b.Errorf("%d sends failed, the last with %v", n, lastErr.Load())
		}
		h := rec.Snapshot()
		c.natsStats().sub(nats0).report(b, h.Count(), time.Since(start), "send")
		c.cpuSplit().sub(split0).report(b, time.Since(start))
		b.ReportMetric(float64(h.Count())/ackWindow.Seconds(), "sends/s")
		b.ReportMetric(float64(h.Quantile(0.50).Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(h.Quantile(0.99).Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(h.Quantile(0.90).Microseconds())/1000, "p90-ms")
		b.ReportMetric(float64(h.Quantile(0.999).Microseconds())/1000, "p999-ms")
		b.ReportMetric(load1(), "load1")
	}
}

// Settings of BenchmarkClusterMoveAck.
const (
	movePairs  = 50
	moveWindow = 5 * time.Second
	// movePhases is the timed moves of a match (drawCells): the pairs'
	// matches start spread over as many intervals.
	movePhases = 4
)

// drawCells is a tic-tac-toe game that fills the board without a winner.
var drawCells = []int{4, 0, 2, 6, 3, 5, 1, 7, 8}

// BenchmarkClusterMoveAck measures the ack latency of game moves: 50 pairs
// of players play tic-tac-toe matches one after another, and the second
// player's moves are paced to 200 or 1,000 moves per second in all and
// timed from when each was due (the first player answers at once, and is
// not timed; a new match's joins reset the schedule). Each pair starts at
// its own offset in the interval, so that the pairs' moves do not all
// fall due at one instant, and in one of the match's four timed moves in
// turn, so that the pairs' matches do not all end and begin together.
// (Until 2026-12-07 the 50 pairs started within one interval, so every
// pair's joins, leaves and lease writes fell in a quarter of each match's
// time, beside other pairs' first and last timed moves, whose p99 was up
// to twice that of the middle ones: docs/benchmarks.md.) The timed players
// sit on node 1; each match's owner, the node of its first player, is
// node 1 too ("owner local") or node 2 ("owner on another node"). The
// cases and load1 are as in BenchmarkClusterAck.
func BenchmarkClusterMoveAck(b *testing.B) {
	for _, rate := range []int{200, 1000} {
		for _, k := range ackCases {
			b.Run(k.name("game move", rate), func(b *testing.B) { benchMoveAck(b, k, rate) })
		}
	}
}

func benchMoveAck(b *testing.B, k ackCase, rate int) {
	c := k.start(b)
	remote := k.remote
	opts := client.Options{EventBuffer: 1024, RequestTimeout: 30 * time.Second, Reconnect: client.ReconnectPolicy{Disabled: true}}
	ownerNode := 0
	if remote {
		ownerNode = 1
	}
	type pair struct{ first, second *client.Client }
	pairs := make([]pair, movePairs)
	for k := range pairs {
		pairs[k] = pair{dial(b, c.nodeURL(ownerNode, fmt.Sprint("a", k)), opts), dial(b, c.nodeURL(0, fmt.Sprint("b", k)), opts)}
		for _, cl := range []*client.Client{pairs[k].first, pairs[k].second} {
			go func() {
				for range cl.Events() {
				}
			}()
		}
	}
	interval := time.Duration(movePairs) * time.Second / time.Duration(rate)
	b.ResetTimer()
	for range b.N {
		rec := loadgen.NewRecorder(0)
		var failed atomic.Int64
		var lastErr atomic.Value
		nats0, split0 := c.natsStats(), c.cpuSplit()
		start := time.Now()
		var wg sync.WaitGroup
		for k, pr := range pairs {
			wg.Go(func() {
				// Each pair starts at its own offset in the interval, so
				// that moves arrive spread evenly, not 50 at one instant,
				// and k%4 intervals later again, so that the pairs'
				// matches do not begin and end together.
				time.Sleep(time.Duration(k)*interval/movePairs + time.Duration(k%movePhases)*interval)
				seats := []string{fmt.Sprint("a", k), fmt.Sprint("b", k)}
				for time.Since(start) < moveWindow {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					err := playTimed(ctx, pr.first, pr.second, seats, randomHex(8), interval, func(d time.Duration) { rec.Record(k, d) })
					cancel()
					if err != nil {
						failed.Add(1)
						lastErr.Store(err.Error())
						return
					}
				}
			})
		}
		wg.Wait()
		if n := failed.Load(); n > 0 {
			b.Errorf("%d matches failed, the last with %v", n, lastErr.Load())
		}
		h := rec.Snapshot()
		c.natsStats().sub(nats0).report(b, h.Count(), time.Since(start), "move")
		c.cpuSplit().sub(split0).report(b, time.Since(start))
		b.ReportMetric(float64(h.Count())/time.Since(start).Seconds(), "moves/s")
		b.ReportMetric(float64(h.Quantile(0.50).Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(h.Quantile(0.99).Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(h.Quantile(0.90).Microseconds())/1000, "p90-ms")
		b.ReportMetric(float64(h.Quantile(0.999).Microseconds())/1000, "p999-ms")
		b.ReportMetric(load1(), "load1")
	}
}

// playTimed plays one tic-tac-toe match to a draw: first joins first, so
// that its node owns the match; second's moves are due every interval
// from the joins on, and record gets each one's latency from its due time.
func playTimed(ctx context.Context, first, second *client.Client, seats []string, nonce string, interval time.Duration, record func(time.Duration)) error {
	var rooms [2]string
	for i, cl := range []*client.Client{first, second} {
		for {
			r, err := cl.Join(ctx, "games.tictactoe", games.JoinParams{Seats: seats, Nonce: nonce})
			if err == nil {
				rooms[i] = r.Room
				break
			}
			if errCode(err) != string(codec.CodeUnavailable) || ctx.Err() != nil {
				return fmt.Errorf("join: %w", err)
			}
			time.Sleep(100 * time.Millisecond) // the owner is not reachable yet: try again
		}
	}
	due := time.Now()
	for ply, cell := range drawCells {
		mover, room := first, rooms[0]
		if ply%2 == 1 {
			mover, room = second, rooms[1]
			due = due.Add(interval)
			time.Sleep(time.Until(due))
		}
		if _, err := mover.Send(ctx, room, games.EventMove, tictactoe.Move{Cell: &cell}); err != nil {
			return fmt.Errorf("ply %d: %w", ply, err)
		}
		if ply%2 == 1 {
			record(time.Since(due))
		}
	}
	for i, cl := range []*client.Client{first, second} {
		if err := cl.Leave(ctx, rooms[i]); err != nil {
			return fmt.Errorf("leave: %w", err)
		}
	}
	return nil
}
