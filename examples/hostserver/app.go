package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"net/http"
	"time"

	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

// Defaults of appConfig.
const (
	// DefaultSessionTTL is how long a sign-in lasts.
	DefaultSessionTTL = 12 * time.Hour
	// DefaultMaxSessionsPerUser bounds one user's live sessions; a new
	// sign-in past it ends that user's oldest session.
	DefaultMaxSessionsPerUser = 16
	// DefaultMaxSessions bounds the live sessions in all; past it, sign-in
	// is refused (503) until sessions end or expire.
	DefaultMaxSessions = 10_000
)

// appConfig configures newApp.
type appConfig struct {
	// Secret is the server key; the engine's room-id key is derived from
	// it. Required.
	Secret []byte
	// Logger receives the app's and the engine's logs. Default: none.
	Logger *zap.Logger
	// Engine holds engine settings to pass through, such as timeouts in
	// tests. newApp sets its Authenticate, Secret and Logger.
	Engine engine.Config
	// SessionTTL is how long a sign-in lasts. Default: DefaultSessionTTL.
	SessionTTL time.Duration
	// MaxSessionsPerUser bounds one user's live sessions; a new sign-in
	// past it ends the user's oldest. Default: DefaultMaxSessionsPerUser.
	MaxSessionsPerUser int
	// MaxSessions bounds the live sessions in all; past it, sign-in is
	// refused with 503. Default: DefaultMaxSessions.
	MaxSessions int
	// TrustProxy believes the X-Forwarded-Proto header: set it when the
	// app runs behind a reverse proxy that terminates TLS and sets the
	// header, so that cookies get the Secure attribute. Off by default:
	// any client can send the header.
	TrustProxy bool
	// Registry is the app's Prometheus registry: Parlor's metrics are
	// registered on it beside the app's own, and it is served at GET
	// /metrics. Default: a new registry with the Go runtime and process
	// collectors.
	Registry *prometheus.Registry
}

// withDefaults returns cfg with every zero field set to its default.
func (cfg appConfig) withDefaults() appConfig {
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
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
		cfg.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return cfg
}

// app is the host application: its routes, its sessions, and the Parlor
// engine mounted beside them.
type app struct {
	log        *zap.Logger
	eng        *engine.Engine
	sessions   *sessionStore
	sessionTTL time.Duration
	trustProxy bool
	registry   *prometheus.Registry
	handler    http.Handler
}

// newApp builds the host application with Parlor mounted at /ws. Shut its
// engine down when done.
func newApp(cfg appConfig) (*app, error) {
	if len(cfg.Secret) == 0 {
		return nil, errors.New("hostserver: appConfig.Secret is required")
	}
	cfg = cfg.withDefaults()
	a := &app{
		log:        cfg.Logger,
		sessions:   newSessionStore(cfg.SessionTTL, cfg.MaxSessionsPerUser, cfg.MaxSessions),
		sessionTTL: cfg.SessionTTL,
		trustProxy: cfg.TrustProxy,
		registry:   cfg.Registry,
	}

	ecfg := cfg.Engine
	// This is the whole integration with the app's auth: the engine asks
	// the app who is behind the upgrade request, before upgrading.
	ecfg.Authenticate = a.authenticate
	ecfg.Credential = a.credential
	ecfg.Secret = deriveKey(cfg.Secret, "parlor room ids v1")
	ecfg.Logger = a.log.Named("parlor")
	// Parlor's metrics go to the app's registry (docs/operations.md).
	met, err := metrics.New(metrics.Config{Registerer: cfg.Registry})
	if err != nil {
		return nil, err
	}
	ecfg.Observer = met
	eng, err := engine.New(ecfg)
	if err != nil {
		return nil, err
	}
	if err := eng.Register(echoModule{}); err != nil {
		_ = eng.Shutdown(context.Background())
		return nil, err
	}
	a.eng = eng
	a.handler = logRequests(a.log, a.routes())
	return a, nil
}

// Handler returns the app's HTTP handler.
func (a *app) Handler() http.Handler { return a.handler }

// routes builds the app's mux.
func (a *app) routes() *http.ServeMux {
	mux := http.NewServeMux()
	// The app's own routes.
	mux.HandleFunc("GET /{$}", a.home)
	// Probes for load balancers: alive, and ready to serve.
	mux.Handle("/healthz", engine.HealthHandler())
	mux.Handle("/readyz", engine.ReadyHandler(a.eng.ReadyCheck()))
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("POST /api/tokens", a.issueToken)
	mux.HandleFunc("GET /api/me", a.me)
	// Parlor, beside them. The engine answers non-upgrade requests itself
	// (426), and refuses bad origins (403) and failed auth (401) before
	// upgrading.
	mux.Handle("/ws", a.eng)
	// The browser SDK, served from the engine, and a page that uses it.
	mux.Handle("GET /parlor.js", engine.SDKHandler())
	mux.HandleFunc("GET /sdk-demo", a.sdkDemo)
	// Prometheus metrics: the app's registry, Parlor's included.
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{}))
	return mux
}

// deriveKey derives a purpose-specific key from the server key, so that
// the server key itself is never used directly.
func deriveKey(secret []byte, purpose string) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(purpose))
	return mac.Sum(nil)
}
