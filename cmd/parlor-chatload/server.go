package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/boltstore"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/loopback"
	"github.com/parlorhq/parlor/internal/procstat"
)

// statsPath is where a server answers with its serverStats.
const statsPath = "/parlor-chatload/stats"

// server is the engine with the chat modules, served on loopback, in this
// process or in a -spawn child.
type server struct {
	url string // the WebSocket URL
	// base is the server's http:// root, for its stats and, in a child,
	// its net/http/pprof handlers.
	base string
	// child: the server runs in a child process (-spawn), whose CPU time
	// is in its stats.
	child bool
	stats func() (serverStats, error)
	stop  func() // shuts down the engine and closes the store
}

// serverStats is what a server reports about itself.
type serverStats struct {
	// CPU is the user and system CPU seconds of the server's process,
	// when it is a child of its own; 0 in the clients' process.
	CPU float64 `json:"cpu"`
	// Sessions is the number of open sessions.
	Sessions int `json:"sessions"`
	// Bolt is the bbolt store's counters; zero for the other stores.
	Bolt boltstore.Stats `json:"bolt"`
	// GC is the garbage collector's work in the server's process, when
	// it is a child of its own.
	GC gcStats `json:"gc"`
}

// sub returns the CPU time and bbolt counters from o to st.
func (st serverStats) sub(o serverStats) serverStats {
	st.CPU -= o.CPU
	st.Bolt.Writes -= o.Bolt.Writes
	st.Bolt.Commits -= o.Bolt.Commits
	st.Bolt.Pages -= o.Bolt.Pages
	st.GC = st.GC.sub(o.GC)
	return st
}

// startServer opens the -store and serves an engine with the chat modules
// on it, rate limits off, on addr (127.0.0.1:0 for any free port). A
// child (-serve) also serves net/http/pprof under /debug/pprof/.
func startServer(cfg config, addr string, child bool) (*server, error) {
	st, bolt, closeStore, err := openStore(cfg)
	if err != nil {
		return nil, err
	}
	eng, err := engine.New(engine.Config{
		Authenticate: loopback.AuthenticateQuery,
		Secret:       []byte("parlor-chatload secret"),
		RateLimit:    -1,
		JoinTimeout:  time.Minute,
	})
	if err == nil {
		err = chat.New(chat.Config{Store: st, MessageRate: -1, HistoryOnJoin: -1}).Register(eng)
	}
	stats := func() (serverStats, error) {
		s := serverStats{Sessions: eng.Stats().Sessions}
		if child {
			s.CPU, s.GC = procstat.ReadCPU().Self.Seconds(), readGC()
		}
		if bolt != nil {
			s.Bolt = bolt.Stats()
		}
		return s, nil
	}
	mux := http.NewServeMux()
	mux.Handle("/", eng)
	mux.HandleFunc(statsPath, func(w http.ResponseWriter, _ *http.Request) {
		s, _ := stats()
		_ = json.NewEncoder(w).Encode(s)
	})
	if child {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	var bound string
	var stopServer func(context.Context) error
	if err == nil {
		bound, stopServer, err = loopback.Serve(addr, mux, eng)
	}
	if err != nil {
		closeStore()
		return nil, err
	}
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = stopServer(ctx)
		closeStore()
	}
	return &server{url: "ws://" + bound + "/", base: "http://" + bound, stats: stats, stop: stop}, nil
}

// openStore opens the -store; bolt is nil for the memory store. close
// closes the store and removes the temporary directory of a default -db.
func openStore(cfg config) (st chat.Store, bolt *boltstore.Store, close func(), err error) {
	switch cfg.store {
	case "memory":
		st = chat.NewMemoryStore()
		return st, nil, func() { _ = st.Close() }, nil
	case "postgres":
		st, close, err = openPostgres(cfg)
		return st, nil, close, err
	case "bolt":
	default:
		return nil, nil, nil, fmt.Errorf("unknown -store %q", cfg.store)
	}
	path, dir := cfg.db, ""
	if path == "" {
		if dir, err = os.MkdirTemp("", "parlor-chatload"); err != nil {
			return nil, nil, nil, err
		}
		path = filepath.Join(dir, "chat.db")
	}
	removeDir := func() {
		if dir != "" {
			_ = os.RemoveAll(dir)
		}
	}
	if bolt, err = boltstore.Open(path, boltstore.Options{MaxBatchDelay: cfg.batchDelay, ApplyDelay: cfg.applyDelay}); err != nil {
		removeDir()
		return nil, nil, nil, err
	}
	return bolt, bolt, func() { _ = bolt.Close(); removeDir() }, nil
}
