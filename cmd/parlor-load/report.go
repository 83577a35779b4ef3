package main

import (
	"fmt"
	"io"
	"runtime"
	"strconv"
	"time"

	"github.com/parlorhq/parlor/internal/loadgen"
)

// printSetup prints the run's parameters and where the server runs.
func printSetup(out io.Writer, cfg config, tgt *target) {
	fmt.Fprintf(out, "parlor-load: %d clients, %d room(s), %d sender(s)/room, %d in flight each, %d-byte text, %s, %s\n",
		cfg.clients, cfg.rooms, cfg.senders, cfg.inflight, cfg.size, cfg.duration, loopName(cfg.rate))
	switch tgt.kind {
	case kindInProcess:
		fmt.Fprintf(out, "server: in-process at %s; clients and server share this process (GOMAXPROCS=%d, %d CPUs)\n",
			tgt.url, runtime.GOMAXPROCS(0), runtime.NumCPU())
	case kindChild:
		pinned := ""
		if cfg.serverCPU != "" {
			pinned = ", pinned to CPU " + cfg.serverCPU
		}
		fmt.Fprintf(out, "server: child process at %s (server GOMAXPROCS=%s%s; clients GOMAXPROCS=%d, %d CPUs)\n",
			tgt.url, procsString(cfg.serverProcs), pinned, runtime.GOMAXPROCS(0), runtime.NumCPU())
	default:
		fmt.Fprintf(out, "server: external at %s\n", tgt.url)
	}
}

// printIdle prints what the server gained per idle connection.
func printIdle(out io.Writer, cfg config, tgt *target, before, idle serverStats) {
	n := float64(cfg.clients)
	heap, rss := idleGrowth(before, idle)
	gs := idle.Goroutines - before.Goroutines
	fmt.Fprintf(out, "idle memory, %s: heap+stack %+.1f MiB = %.1f KiB/conn; RSS %+.1f MiB = %.1f KiB/conn; goroutines %+d = %.2f/conn\n",
		tgt.who(), mib(heap), kib(heap)/n, mib(rss), kib(rss)/n, gs, float64(gs)/n)
}

// printResult prints the load's figures and, for a local server, its CPU
// time and write syscalls.
func printResult(out io.Writer, tgt *target, res *result) {
	fmt.Fprintf(out, "run: senders sent for %s; last event %s after start\n", res.sendElapsed.Round(time.Millisecond), res.elapsed.Round(time.Millisecond))
	fmt.Fprintf(out, "broadcasts: %d acknowledged (%.0f/s), %d failed%s\n", res.acked, float64(res.acked)/res.sendElapsed.Seconds(), res.failed, res.errs)
	fmt.Fprintf(out, "deliveries: %d of %d expected, %.0f/s\n", res.delivered, res.expected, float64(res.delivered)/res.elapsed.Seconds())
	printLatency(out, res)
	if res.closed > 0 {
		fmt.Fprintf(out, "WARNING: %d clients were closed by the server during the run (slow consumer?)\n", res.closed)
	}
	if tgt.stats != nil && res.delivered > 0 {
		printServerCost(out, tgt, res)
	}
	if res.cpu.Busy > 0 {
		fmt.Fprintf(out, "other processes' CPU during the load: %.2f cores (a busy machine makes runs incomparable)\n", otherCores(tgt, res))
	}
}

// otherCores is the CPU that processes other than this one and the
// server's child used during the load, in cores.
func otherCores(tgt *target, res *result) float64 {
	other := (res.cpu.Busy - res.cpu.Self).Seconds()
	if tgt.kind == kindChild {
		other -= res.after.CPUPreGC - res.idle.CPU
	}
	return max(0, other/res.elapsed.Seconds())
}

// printLatency prints the send-to-receive latency quantiles.
func printLatency(out io.Writer, res *result) {
	h, fmtDur := res.hist, loadgen.FormatDuration
	fmt.Fprintf(out, "latency %s->receive: p50 %s  p99 %s  p99.9 %s  max %s  (%d samples",
		res.from, fmtDur(h.Quantile(0.50)), fmtDur(h.Quantile(0.99)), fmtDur(h.Quantile(0.999)), fmtDur(h.Max()), h.Count())
	if res.parseErrs > 0 {
		fmt.Fprintf(out, ", %d without a timestamp", res.parseErrs)
	}
	fmt.Fprintln(out, ")")
}

// printServerCost prints the CPU time per delivery and the deliveries per
// write syscall of the server's process during the load.
func printServerCost(out io.Writer, tgt *target, res *result) {
	cpu := res.after.CPUPreGC - res.idle.CPU
	writes := serverWrites(tgt, res)
	fmt.Fprintf(out, "%s CPU: %.2fs = %.2f cores, %.2f us/delivery\n",
		tgt.who(), cpu, cpu/res.elapsed.Seconds(), cpu/float64(res.delivered)*1e6)
	if writes > 0 {
		fmt.Fprintf(out, "server write syscalls: %d, %.1f deliveries per write\n", writes, float64(res.delivered)/float64(writes))
	}
}

// loopName describes the load's mode.
func loopName(rate float64) string {
	if rate > 0 {
		return fmt.Sprintf("open loop at %.0f broadcasts/s", rate)
	}
	return "closed loop"
}

// idleGrowth is how much heap+stack and RSS the server gained from
// before to idle, in bytes.
func idleGrowth(before, idle serverStats) (heap, rss int64) {
	return int64(idle.HeapStack) - int64(before.HeapStack), int64(idle.RSS) - int64(before.RSS)
}

// serverWrites is the number of write syscalls the server made for the
// deliveries during the load.
func serverWrites(tgt *target, res *result) int64 {
	writes := int64(res.after.WriteCalls - res.idle.WriteCalls)
	if tgt.kind == kindInProcess {
		writes -= res.acked // the sender's own request writes
	}
	return writes
}

// procsString shows a -server-procs value.
func procsString(n int) string {
	if n <= 0 {
		return "inherited"
	}
	return strconv.Itoa(n)
}

// mib is b bytes in MiB.
func mib(b int64) float64 { return float64(b) / (1 << 20) }

// kib is b bytes in KiB.
func kib(b int64) float64 { return float64(b) / (1 << 10) }
