package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/boltstore"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/chess"
	"github.com/parlorhq/parlor/games/tictactoe"
	"github.com/parlorhq/parlor/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

//go:embed static/*.css static/*.js
var staticFS embed.FS

//go:embed html/*.html
var htmlFS embed.FS

// reactFS is the React example page: index.html, style.css and app.js,
// which js/'s build bundles from reactsrc/app.jsx with React included.
//
//go:embed react/*.html react/*.css react/*.js
var reactFS embed.FS

const (
	// secretFile is the name, inside the data directory, of the server
	// key from which the room-id key is derived.
	secretFile = "secret"
	// secretLen is the server key's length in bytes.
	secretLen = 32
	// chatDBFile is the name of the chat's bbolt file in the data
	// directory.
	chatDBFile = "chat.db"
	// gamesDBFile is the name of the games' bbolt file (matches in play
	// and finished games) in the data directory.
	gamesDBFile = "games.db"

	// labelRoomIDs labels the room-id key derived from the server key.
	labelRoomIDs = "parlor arcade room ids v1"
)

// Defaults of Config.
const (
	// DefaultSessionTTL is how long a sign-in lasts.
	DefaultSessionTTL = 12 * time.Hour
	// DefaultMaxSessionsPerUser bounds one user's live sessions (signed-in
	// browsers); a new sign-in past it ends that user's oldest session.
	DefaultMaxSessionsPerUser = 16
	// DefaultMaxSessions bounds the live sessions in all; past it, sign-in
	// is refused (503) until sessions end or expire.
	DefaultMaxSessions = 10_000
)

// chessTimeControl is every chess match's clock: 5 minutes plus 3 seconds
// a move.
var chessTimeControl = games.TimeControl{Base: 5 * time.Minute, Increment: 3 * time.Second}

// Config configures the arcade.
type Config struct {
	// DataDir holds the chat database and the server key; it is created
	// if missing. Required.
	DataDir string
	// Logger receives the arcade's and the engine's logs. Default: none.
	Logger *zap.Logger
	// Engine holds engine settings to pass through, such as timeouts in
	// tests. newArcade sets its Authenticate, Secret and Logger.
	Engine engine.Config
	// DevLogin enables GET /login?as=USER[&next=/path], a one-step
	// sign-in for screenshots and manual testing. Off by default: it
	// lets any page sign a visitor in.
	DevLogin bool
	// SessionTTL is how long a sign-in lasts. Default: DefaultSessionTTL.
	SessionTTL time.Duration
	// MaxSessionsPerUser bounds one user's live sessions; a new sign-in
	// past it ends the user's oldest. Default: DefaultMaxSessionsPerUser.
	MaxSessionsPerUser int
	// MaxSessions bounds the live sessions in all; past it, sign-in is
	// refused with 503. Default: DefaultMaxSessions.
	MaxSessions int
	// Postgres, if set, is the DSN of a PostgreSQL database that holds
	// the chat (chat/pgstore, schema parlor_chat) and the matches, in play
	// and finished (games/pgstore, schema parlor_games), instead of
	// chat.db and games.db in DataDir. The server key stays in DataDir.
	// Default: empty, chat.db and games.db.
	Postgres string
	// TrustProxy believes the X-Forwarded-Proto and X-Real-IP headers:
	// set it when the arcade runs behind a reverse proxy that terminates
	// TLS and sets them (docs/deploy.md), so that cookies get the Secure
	// attribute and the access log shows the client's address. Off by
	// default: any client can send the headers.
	TrustProxy bool
}

// withDefaults returns cfg with every zero field set to its default.
func (cfg Config) withDefaults() Config {
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.MaxSessionsPerUser <= 0 {
		cfg.MaxSessionsPerUser = DefaultMaxSessionsPerUser
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	return cfg
}

// Arcade is the demo application: sign-in, the pages, a small host API,
// and the Parlor engine with the chat, tic-tac-toe and chess modules.
type Arcade struct {
	log        *zap.Logger
	eng        *engine.Engine
	store      chat.Store
	chat       *chat.Chat
	gamesStore closingGamesStore
	history    *games.History
	sessions   *sessionStore
	sessionTTL time.Duration
	trustProxy bool
	devLogin   bool
	pages      map[string]*pageTemplate
	challenges *challengeBook
	notices    *noticeLog // every module's Notifier: the recent notices
	finished   *finishedGames
	handler    http.Handler
	// registry holds the arcade's Prometheus metrics, served at /metrics.
	registry *prometheus.Registry
}

// newArcade opens (or creates) the data directory and wires the arcade.
// Call Shutdown when done.
func newArcade(cfg Config) (*Arcade, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("arcade: Config.DataDir is required")
	}
	cfg = cfg.withDefaults()
	log := cfg.Logger
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("arcade: data directory: %w", err)
	}
	secret, err := loadOrCreateSecret(filepath.Join(cfg.DataDir, secretFile))
	if err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	a := &Arcade{
		log:        log,
		sessions:   newSessionStore(cfg.SessionTTL, cfg.MaxSessionsPerUser, cfg.MaxSessions),
		sessionTTL: cfg.SessionTTL,
		trustProxy: cfg.TrustProxy,
		devLogin:   cfg.DevLogin,
		pages:      pages,
		challenges: newChallengeBook(),
		finished:   newFinishedGames(maxFinishedGames),
	}

	store, err := openChatStore(cfg)
	if err != nil {
		return nil, fmt.Errorf("arcade: open chat store: %w", err)
	}
	a.store = store
	gamesStore, err := openGamesStore(cfg)
	if err != nil {
		_ = store.Close()
		return nil, fmt.Errorf("arcade: open games store: %w", err)
	}
	a.gamesStore = gamesStore

	// Metrics: Parlor's own, the Go runtime's and the process's, on a
	// registry of the arcade's own.
	a.registry = prometheus.NewRegistry()
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	met, err := metrics.New(metrics.Config{Registerer: a.registry})
	if bs, ok := store.(*boltstore.Store); ok && err == nil {
		// The bbolt store's group commit: writes per commit.
		err = met.CountStoreWrites(func() (uint64, uint64) { st := bs.Stats(); return st.Writes, st.Syncs })
	}
	if node, ok := cfg.Engine.Cluster.(interface{ Stats() engine.ClusterStats }); ok && err == nil {
		// A cluster node (-nats): leases, forwards, batches, silences.
		err = met.CountCluster(node.Stats)
	}
	if err != nil {
		_ = store.Close()
		return nil, fmt.Errorf("arcade: metrics: %w", err)
	}

	ecfg := cfg.Engine
	ecfg.Observer = met
	ecfg.Authenticate = a.authenticate
	ecfg.Credential = a.credential
	ecfg.PresencePolicy = canSeePresence
	ecfg.Secret = deriveKey(secret, labelRoomIDs)
	ecfg.Logger = log.Named("parlor")
	eng, err := engine.New(ecfg)
	if err != nil {
		_ = store.Close()
		_ = gamesStore.Close()
		return nil, err
	}
	a.eng = eng
	a.notices = newNoticeLog(eng)

	fail := func(err error) (*Arcade, error) {
		_ = eng.Shutdown(context.Background())
		_ = store.Close()
		_ = gamesStore.Close()
		return nil, err
	}
	ccfg := chat.Config{Store: met.ChatStore(store), CanMessage: canMessage, Notifier: a.notices, Logger: log.Named("chat")}
	if ecfg.Cluster != nil {
		// Inboxes may run on other nodes than the conversations.
		ccfg.Relay = eng
	}
	c := chat.New(ccfg)
	if err := c.Register(eng); err != nil {
		return fail(err)
	}
	a.chat = c
	// One ledger for both games, so that a user waits in one quick-match
	// queue at a time and the per-user limits count across games.
	ledger := games.NewLedger()
	// Only connections challenge each other; both players hear of a
	// challenge on their user channels, and its steps go into their DM.
	ttt := games.NewModule(tictactoe.Game{}, games.Config{
		QuickMatch: true, Rooms: eng, Store: gamesStore, Ledger: ledger, Observer: met,
		CanChallenge: canChallenge, Notifier: a.notices, OnChallenge: a.onChallenge,
		Secret: eng.Secret(),
	})
	if err := eng.Register(ttt); err != nil {
		return fail(err)
	}
	chessGame := chess.Game{}
	ch := games.NewModule(chessGame, games.Config{
		QuickMatch:   true,
		Rooms:        eng,
		Secret:       eng.Secret(),
		Store:        gamesStore,
		Ledger:       ledger,
		TimeControl:  chessTimeControl,
		Observer:     met,
		CanChallenge: canChallenge,
		Notifier:     a.notices,
		OnChallenge:  a.onChallenge,
		OnFinished: func(_ context.Context, f games.FinishedGame) {
			pgn, err := chessGame.PGN(f, chess.PGNOptions{Event: "Parlor arcade"})
			if err != nil {
				log.Warn("chess PGN export", zap.String("room", f.Room), zap.Error(err))
				return
			}
			a.finished.add(f.Room, finishedGame{PGN: pgn, Players: f.Players, Ended: f.Ended})
		},
	})
	if err := eng.Register(ch); err != nil {
		return fail(err)
	}
	// The challenges stored before a restart are pending again, and
	// expire when they would have.
	for _, m := range []*games.Module{ttt, ch} {
		if _, err := m.RestoreChallenges(context.Background()); err != nil {
			return fail(err)
		}
	}

	a.history = games.NewHistory(gamesStore, ttt, ch)
	a.handler = a.routes()
	return a, nil
}

// Handler returns the arcade's HTTP handler: pages, static files, the SDK,
// the host API and the engine at /ws.
func (a *Arcade) Handler() http.Handler { return a.handler }

// Shutdown shuts the engine down (every WebSocket is closed, every room
// disposed) and then closes the chat and games stores. Shut the http.Server down
// after it.
func (a *Arcade) Shutdown(ctx context.Context) error {
	engErr := a.eng.Shutdown(ctx)
	if engErr != nil {
		engErr = fmt.Errorf("engine shutdown: %w", engErr)
	}
	return errors.Join(engErr, a.closeStores())
}

// closeStores closes the chat and games stores, after the engine has shut
// down.
func (a *Arcade) closeStores() error {
	storeErr := a.store.Close()
	if storeErr != nil {
		storeErr = fmt.Errorf("close chat store: %w", storeErr)
	}
	gamesErr := a.gamesStore.Close()
	if gamesErr != nil {
		gamesErr = fmt.Errorf("close games store: %w", gamesErr)
	}
	return errors.Join(storeErr, gamesErr)
}

// routes builds the arcade's mux.
func (a *Arcade) routes() http.Handler {
	mux := http.NewServeMux()
	// Parlor: the engine and its browser SDK.
	mux.Handle("/ws", a.eng)
	mux.Handle("GET /parlor.js", engine.SDKHandler())
	// Prometheus metrics (docs/operations.md). The arcade listens on
	// 127.0.0.1 by default; a public deployment serves them on a private
	// listener or behind the proxy's access rules instead.
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{}))
	mux.Handle("GET "+engine.SDKPath(), engine.SDKHandler())
	// The React example page (react/, built from reactsrc/ by js/'s
	// build), on the same engine: /react/?with=bob.
	reactPage, _ := fs.Sub(reactFS, "react") // the directory is embedded
	mux.Handle("GET /react/", noCache(http.StripPrefix("/react", http.FileServerFS(reactPage))))
	static, _ := fs.Sub(staticFS, "static") // the directory is embedded
	mux.Handle("GET /static/", noCache(http.StripPrefix("/static/", http.FileServerFS(static))))

	// Sign-in.
	mux.HandleFunc("GET /login", a.loginPage)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("POST /logout/everywhere", a.logoutEverywhere)

	// Pages.
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/connections", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /connections", a.page(a.connectionsPage))
	mux.HandleFunc("GET /chat/{user}", a.page(a.chatPage))
	mux.HandleFunc("GET /groups", a.page(a.groupsPage))
	mux.HandleFunc("GET /groups/{id}", a.page(a.groupPage))
	mux.HandleFunc("GET /tictactoe", a.page(a.gamePage("tictactoe")))
	mux.HandleFunc("GET /chess", a.page(a.gamePage("chess")))
	mux.HandleFunc("GET /games", a.page(a.gamesPage))
	mux.HandleFunc("GET /games/pgn", a.download(a.historyPGN))
	mux.HandleFunc("GET /games/replay", a.page(a.replayPage))

	// The host API.
	mux.HandleFunc("GET /api/challenges", a.api(a.listChallenges))
	mux.HandleFunc("GET /api/notices", a.api(a.listNotices))
	mux.HandleFunc("GET /api/games/{room}/pgn", a.download(a.downloadPGN))
	// Probes for load balancers and orchestrators (docs/operations.md).
	mux.Handle("/healthz", engine.HealthHandler())
	mux.Handle("/readyz", engine.ReadyHandler(a.eng.ReadyCheck(), a.storeCheck()))
	return logRequests(a.log, a.trustProxy, securityHeaders(mux))
}

// storeCheck is the chat store's readiness: a read transaction succeeds.
func (a *Arcade) storeCheck() engine.ReadyCheck {
	return engine.ReadyCheck{Name: "chat-store", Check: func(ctx context.Context) error {
		if _, err := a.store.Room(ctx, "readyz"); err != nil && !errors.Is(err, chat.ErrNotFound) {
			return err
		}
		return nil
	}}
}

// loadOrCreateSecret reads the server key at path, or creates it with
// secretLen random bytes (mode 0600) on first run.
func loadOrCreateSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) < secretLen {
			return nil, fmt.Errorf("arcade: %s: want at least %d bytes, have %d", path, secretLen, len(b))
		}
		return b, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("arcade: read secret: %w", err)
	}
	key := make([]byte, secretLen)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("arcade: generate secret: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadOrCreateSecret(path) // created meanwhile by another process
	}
	if err != nil {
		return nil, fmt.Errorf("arcade: create secret: %w", err)
	}
	_, werr := f.Write(key)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("arcade: write secret: %w", err)
	}
	return key, nil
}

// deriveKey derives a purpose-specific key from the server key, so that
// the server key itself is never used directly.
func deriveKey(secret []byte, label string) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(label))
	return mac.Sum(nil)
}
