package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/internal/loadgen"
	"github.com/parlorhq/parlor/internal/loopback"
	"github.com/parlorhq/parlor/internal/procstat"
)

// statsPath is where a -serve child reports its serverStats, and
// heapPath where it writes a heap profile (after a GC).
const (
	statsPath = "/parlor-load/stats"
	heapPath  = "/parlor-load/heap"
)

// serverStats is what a local server reports about itself.
type serverStats struct {
	HeapStack  uint64  `json:"heap_stack"` // HeapInuse + StackInuse after a GC
	Stack      uint64  `json:"stack"`      // StackInuse alone
	RSS        uint64  `json:"rss"`        // VmRSS
	Goroutines int     `json:"goroutines"`
	CPU        float64 `json:"cpu"`         // user + system seconds
	CPUPreGC   float64 `json:"cpu_pre_gc"`  // the same, before the GC this reading forces
	WriteCalls uint64  `json:"write_calls"` // syscw
	Procs      int     `json:"procs"`       // GOMAXPROCS
}

// localStats measures this process.
func localStats() (serverStats, error) {
	preGC := procstat.ReadCPU().Self.Seconds()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, ok := procstat.Status()["VmRSS"]
	if !ok {
		return serverStats{}, errors.New("no VmRSS in /proc/self/status")
	}
	return serverStats{
		HeapStack:  ms.HeapInuse + ms.StackInuse,
		Stack:      ms.StackInuse,
		RSS:        rss,
		Goroutines: runtime.NumGoroutine(),
		CPU:        procstat.ReadCPU().Self.Seconds(),
		CPUPreGC:   preGC,
		WriteCalls: procstat.IO()["syscw"],
		Procs:      runtime.GOMAXPROCS(0),
	}, nil
}

// localGoroutines reads this process's goroutine count alone.
func localGoroutines() (serverStats, error) {
	return serverStats{Goroutines: runtime.NumGoroutine()}, nil
}

// serveStats answers GET statsPath with localStats, or with the
// goroutine count alone for GET statsPath?goroutines: no forced GC, so
// cheap to poll even with a heap of gigabytes.
func serveStats(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Has("goroutines") {
		st, _ := localGoroutines()
		_ = json.NewEncoder(w).Encode(st)
		return
	}
	st, err := localStats()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_ = json.NewEncoder(w).Encode(st)
}

// serveHeap answers GET heapPath with a heap profile taken after a GC,
// in the format of runtime/pprof.
func serveHeap(w http.ResponseWriter, _ *http.Request) {
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(w, 0); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// startServer starts an engine with the echo module on addr, pinging
// every heartbeat (0: the engine's default). The returned stop function
// shuts down the engine and the listener.
func startServer(addr string, withStats bool, heartbeat time.Duration) (wsURL string, stop func(context.Context) error, err error) {
	e, err := engine.New(engine.Config{
		// Load-test identities: the user is whatever ?user= says. Never
		// authenticate like this outside a load test.
		Authenticate:      loopback.AuthenticateQuery,
		Secret:            []byte("parlor-load"),
		RateLimit:         -1, // senders send thousands of frames a second
		HeartbeatInterval: heartbeat,
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
		mux.HandleFunc(statsPath, serveStats)
		mux.HandleFunc(heapPath, serveHeap)
		mux.HandleFunc(tracePath, serveTrace)
	}
	bound, stop, err := loopback.Serve(addr, mux, e)
	if err != nil {
		return "", nil, err
	}
	return "ws://" + bound + "/ws", stop, nil
}

// serveChild is the -serve mode: serve until stdin closes or a signal.
func serveChild(ctx context.Context, addr string, heartbeat time.Duration) error {
	if !loopback.IsAddr(addr) {
		return fmt.Errorf("-serve %s: only loopback addresses", addr)
	}
	wsURL, stop, err := startServer(addr, true, heartbeat)
	if err != nil {
		return err
	}
	fmt.Println(wsURL) // the parent reads this line
	loadgen.WaitParent(ctx)
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return stop(sctx)
}
