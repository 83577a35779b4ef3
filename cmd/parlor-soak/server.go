package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/boltstore"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/tictactoe"
	"github.com/parlorhq/parlor/internal/loopback"
	"github.com/parlorhq/parlor/internal/procstat"
	"github.com/parlorhq/parlor/room"
)

// server is the in-process engine.
type server struct {
	addr  string
	eng   *engine.Engine
	store *boltstore.Store
	dir   string
	stop  func()
}

// startServer serves an engine with the chat modules, on a new bbolt file
// in a temporary directory, and tic-tac-toe.
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
