// Command clusternode is the Parlor node the cluster fault tests
// (internal/clusterfault) run as real child processes, three at a time,
// so that they can kill one with SIGKILL, stop one with SIGSTOP, or roll
// a restart with SIGTERM.
//
// It serves a Parlor engine at /ws with the chat modules and the matches
// of tic-tac-toe and chess, all stored in PostgreSQL (-postgres, in the
// schemas -schema-prefix followed by "chat" and "games", so that each test
// has its own), and the echo test module. With -store memory the chat and
// the matches are kept in the node's memory instead, each node apart from
// the others: the benchmarks use it to measure the cluster's own path
// without a database's commits (a room that moves to another node then
// starts empty, so the fault tests keep PostgreSQL). It joins the cluster of the
// NATS servers named by -nats as node -node. It takes the user from the
// "user" query parameter: it trusts whatever the client says, so it
// listens on loopback only. Room ids are keyed by -secret, which every
// node of one cluster shares.
//
// When it listens it prints one line to stdout:
//
//	clusternode listening 127.0.0.1:41234
//
// With -single it runs as one engine with no cluster and no NATS at all,
// the reference the benchmarks compare a cluster's own path with.
//
// With -pprof it also serves the runtime's profiles at /debug/pprof/
// (net/http/pprof, with block and mutex profiling on), to see where a
// node spends its time under a benchmark.
//
// On SIGTERM or SIGINT it shuts down gracefully: the engine (its rooms are
// handed over and every WebSocket is closed with 1001), the cluster node,
// the NATS connection, the HTTP server and the stores; then it prints
// "clusternode stopped" and exits with status 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/parlorhq/parlor/chat"
	chatpg "github.com/parlorhq/parlor/chat/pgstore"
	"github.com/parlorhq/parlor/cluster"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/chess"
	gamespg "github.com/parlorhq/parlor/games/pgstore"
	"github.com/parlorhq/parlor/games/tictactoe"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/internal/levellog"
	"github.com/parlorhq/parlor/internal/loopback"
)

// ListenPrefix starts the line the node prints once it listens.
const ListenPrefix = "clusternode listening "

// StoppedLine is the line the node prints after a graceful shutdown.
const StoppedLine = "clusternode stopped"

// config holds the command-line flags.
type config struct {
	addr     string
	nats     string
	inOrder  bool
	node     string
	store    string
	postgres string
	schema   string
	secret   string
	replicas int
	leaseTTL time.Duration
	grace    time.Duration
	gameBase time.Duration
	shutdown time.Duration
	logLevel string
	pprof    bool
	single   bool
}

func main() {
	var cfg config
	flag.StringVar(&cfg.addr, "addr", "127.0.0.1:0", "address to listen on")
	flag.StringVar(&cfg.nats, "nats", "", "NATS server URLs, comma separated (required)")
	flag.BoolVar(&cfg.inOrder, "nats-in-order", false, "connect to the NATS servers in the order -nats lists them, not at random")
	flag.StringVar(&cfg.node, "node", "", "this node's name, unique among the live nodes (required)")
	flag.StringVar(&cfg.store, "store", storePostgres, `where chat and matches are stored: "postgres" or "memory" (this node only)`)
	flag.StringVar(&cfg.postgres, "postgres", "", "PostgreSQL DSN of the chat and games stores (required with -store postgres)")
	flag.StringVar(&cfg.schema, "schema-prefix", "parlor_", `prefix of the stores' schemas: PREFIX+"chat" and PREFIX+"games"`)
	flag.StringVar(&cfg.secret, "secret", "parlor clusternode secret", "room-id key, the same on every node")
	flag.IntVar(&cfg.replicas, "lease-replicas", 3, "replicas of the lease bucket: 3 on a three-server JetStream cluster")
	flag.DurationVar(&cfg.leaseTTL, "lease-ttl", 0, "rooms' lease TTL, the same on every node (0: the default, 2s)")
	flag.DurationVar(&cfg.grace, "grace", 0, "games' disconnect grace (0: the toolkit's default, 30s)")
	flag.DurationVar(&cfg.gameBase, "game-base", 0, "games' clock: each seat's starting time (0: untimed)")
	flag.DurationVar(&cfg.shutdown, "shutdown-timeout", 10*time.Second, "bound of the graceful shutdown")
	flag.StringVar(&cfg.logLevel, "log", "warn", "log level to stderr: debug, info, warn, error or off")
	flag.BoolVar(&cfg.single, "single", false, "run one engine with no cluster and no NATS (-nats is then not needed)")
	flag.BoolVar(&cfg.pprof, "pprof", false, "serve the runtime's profiles at /debug/pprof/")
	flag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "clusternode:", err)
		os.Exit(1)
	}
}

// The values of -store.
const (
	storePostgres = "postgres"
	storeMemory   = "memory"
)

// stores are the node's chat and games stores.
type stores struct {
	chat  chat.Store
	games games.Store
	close func() error
}

// openStores opens the stores -store names.
func openStores(cfg config) (*stores, error) {
	switch cfg.store {
	case storeMemory:
		c, g := chat.NewMemoryStore(), games.NewMemoryStore()
		return &stores{chat: c, games: g, close: func() error { return errors.Join(c.Close(), g.Close()) }}, nil
	case storePostgres:
		return openPostgres(cfg)
	}
	return nil, fmt.Errorf("-store %q: want %q or %q", cfg.store, storePostgres, storeMemory)
}

// openPostgres opens the PostgreSQL stores.
func openPostgres(cfg config) (*stores, error) {
	if cfg.postgres == "" {
		return nil, errors.New("-postgres is required with -store postgres")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := chatpg.Open(ctx, cfg.postgres, chatpg.Options{Schema: cfg.schema + "chat"})
	if err != nil {
		return nil, fmt.Errorf("chat store: %w", err)
	}
	g, err := gamespg.Open(ctx, cfg.postgres, gamespg.Options{Schema: cfg.schema + "games"})
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("games store: %w", err)
	}
	return &stores{chat: c, games: g, close: func() error { return errors.Join(c.Close(), g.Close()) }}, nil
}

// Close closes the stores.
func (s *stores) Close() error { return s.close() }

// register adds the modules to eng.
func register(eng *engine.Engine, st *stores, cfg config, log *zap.Logger) error {
	c := chat.New(chat.Config{Store: st.chat, MessageRate: -1, ReplayLimit: 100_000, Logger: log.Named("chat")})
	if err := c.Register(eng); err != nil {
		return err
	}
	if err := eng.Register(echo.Module{}); err != nil {
		return err
	}
	for _, g := range []games.Game{tictactoe.Game{}, chess.Game{}} {
		gcfg := games.Config{
			Grace: cfg.grace, Rooms: eng, Secret: eng.Secret(), QuickMatch: true, Store: st.games,
			TimeControl: games.TimeControl{Base: cfg.gameBase},
			// The benchmarks' pairs play matches back to back, far past
			// the per-user challenge rate a public site wants.
			ChallengeRate: 1_000_000,
		}
		if err := eng.Register(games.NewModule(g, gcfg)); err != nil {
			return err
		}
	}
	return nil
}

func run(cfg config) error {
	if (cfg.nats == "" && !cfg.single) || cfg.node == "" {
		return errors.New("-nats and -node are required")
	}
	log, err := levellog.New(cfg.logLevel)
	if err != nil {
		return err
	}
	log = log.With(zap.String("node", cfg.node))
	defer func() { _ = log.Sync() }()

	st, err := openStores(cfg)
	if err != nil {
		return err
	}
	var node engine.Cluster // none with -single
	closeAll := st.Close
	if !cfg.single {
		cn, closeNode, err := joinCluster(cfg, log)
		if err != nil {
			return errors.Join(err, st.Close())
		}
		node = cn
		closeAll = func() error { return errors.Join(closeNode(), st.Close()) }
	}
	eng, err := engine.New(engine.Config{
		Authenticate: loopback.AuthenticateQuery,
		Secret:       []byte(cfg.secret),
		Logger:       log.Named("parlor"),
		RateLimit:    -1,
		Cluster:      node,
	})
	if err != nil {
		return errors.Join(err, closeAll())
	}
	if err := register(eng, st, cfg, log); err != nil {
		return errors.Join(err, eng.Shutdown(context.Background()), closeAll())
	}

	mux := http.NewServeMux()
	mux.Handle("/ws", eng)
	mux.Handle("/healthz", engine.HealthHandler())
	if cfg.pprof {
		servePprof(mux)
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return errors.Join(err, eng.Shutdown(context.Background()), closeAll())
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	sig, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Println(ListenPrefix + ln.Addr().String())

	var serveErr error
	select {
	case serveErr = <-errc:
	case <-sig.Done():
	}
	sctx, cancelShutdown := context.WithTimeout(context.Background(), cfg.shutdown)
	defer cancelShutdown()
	engErr := eng.Shutdown(sctx)
	srvErr := srv.Shutdown(sctx)
	closeErr := closeAll()
	if serveErr == nil {
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			serveErr = err
		}
	}
	if err := errors.Join(serveErr, engErr, srvErr, closeErr); err != nil {
		return err
	}
	fmt.Println(StoppedLine)
	return nil
}

// joinCluster connects to NATS and joins the cluster as node cfg.node.
// closeNode leaves the cluster and closes the connection.
func joinCluster(cfg config, log *zap.Logger) (node *cluster.Node, closeNode func() error, err error) {
	nc, err := cluster.Dial(cluster.DialConfig{URL: cfg.nats, Node: cfg.node, InOrder: cfg.inOrder, Logger: log.Named("nats")})
	if err != nil {
		return nil, nil, fmt.Errorf("nats: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	node, err = cluster.NewNode(ctx, nc, cluster.NodeConfig{Name: cfg.node, LeaseReplicas: cfg.replicas, LeaseTTL: cfg.leaseTTL, Logger: log.Named("cluster")})
	cancel()
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("cluster node: %w", err)
	}
	return node, func() error {
		err := node.Close()
		nc.Close()
		return err
	}, nil
}

// servePprof serves the runtime's profiles on mux at /debug/pprof/, with
// block and mutex profiling on.
func servePprof(mux *http.ServeMux) {
	runtime.SetBlockProfileRate(int(10 * time.Microsecond))
	runtime.SetMutexProfileFraction(10)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
}
