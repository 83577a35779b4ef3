package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/lxzan/gws"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
)

// Subprotocol is the WebSocket subprotocol of the wire protocol. Clients
// must offer it; the engine answers with it.
const Subprotocol = "parlor.v1"

// Engine serves Parlor sessions. Create it with New, register modules,
// and mount it on the host's mux; it implements http.Handler.
type Engine struct {
	cfg      Config
	log      *zap.Logger
	obs      Observer // nil: nothing is measured
	upgrader *gws.Upgrader
	secret   []byte
	macs     sync.Pool // resume token MACs keyed by secret (resume.go)

	modulesMu sync.RWMutex
	modules   map[string]room.Module

	rooms     *shardedMap[*room.Room]
	creators  *shardedMap[string] // room id to the user whose join created it
	userRooms *shardedMap[int]    // live rooms each user created
	sessions  *shardedMap[*session]
	userConns *shardedMap[*userConns]
	hub       *hub
	fanout    room.Fanout // the rooms' fanout: hub, or clusterFanout on a cluster node
	ownBroker bool
	writers   writerPool
	beats     *beatWheel  // the heartbeat wheel (heartbeatwheel.go)
	holds     *holdQueues // the reply holds' time limits (replyhold.go)
	aside     asideWorkers

	// The cluster (cluster*.go, remote*.go); all nil without one.
	cluster        Cluster
	leases         *shardedMap[leasedRoom]
	remoteSessions *shardedMap[*remoteSession]
	remotes        *shardedMap[*remoteRoom]
	ownerHints     *shardedMap[ownerHint] // owners of rooms just left (ownerhint.go)
	watched        *shardedMap[struct{}]  // nodes watched by watchNode
	judged         judgedNodes            // when nodes were last believed gone (clustercheck.go)
	checkSlots     chan struct{}          // membership checks being answered (clustercheck.go)
	stalled        stalledRooms           // rooms stopped while cut off (clusteroutage.go)
	userSubs       *shardedMap[*userSub]
	keepUserTTL    bool // the rooms' idle TTL was shortened, not the user channels' (clusterrooms.go)

	// What listens on room ids for signals (clustersignal.go).
	listeners *shardedMap[*roomListener]

	// The user channel and presence (userchannel.go, presence.go).
	userChans *shardedMap[*userHandler]
	presence  *presenceTracker

	ctx    context.Context
	cancel context.CancelFunc
	// opsCtx bounds the joins and leaves the engine waits on rooms for
	// (handleJoin, handleLeave and their forwarded forms). It ends after
	// Shutdown has drained the rooms, not with ctx before, so that the
	// joins and leaves already in a room's mailbox run.
	opsCtx    context.Context
	cancelOps context.CancelFunc
	wg        sync.WaitGroup
	shutting  atomic.Bool
	// upgrading is held for reading while an upgrade registers its
	// session (upgrade.go); Shutdown takes it once shutting is set.
	upgrading sync.RWMutex
	stopOnce  sync.Once
}

// New returns an engine configured by cfg. It fails when cfg has no
// Authenticate hook.
func New(cfg Config) (*Engine, error) {
	if cfg.Authenticate == nil {
		return nil, errors.New("engine: Config.Authenticate is required")
	}
	cfg = cfg.withDefaults()
	e := &Engine{
		cfg:       cfg,
		log:       cfg.Logger,
		obs:       cfg.Observer,
		modules:   make(map[string]room.Module),
		rooms:     newShardedMap[*room.Room](),
		creators:  newShardedMap[string](),
		userRooms: newShardedMap[int](),
		sessions:  newShardedMap[*session](),
		userConns: newShardedMap[*userConns](),
	}
	e.secret = cfg.Secret
	if len(e.secret) == 0 {
		e.secret = make([]byte, 32)
		if _, err := rand.Read(e.secret); err != nil {
			return nil, fmt.Errorf("engine: generate secret: %w", err)
		}
		e.log.Warn("no Config.Secret set: using a random one, so room ids change on restart and differ between nodes")
	}
	broker := cfg.Broker
	if cfg.Cluster != nil {
		broker = cfg.Cluster.Broker()
	}
	if broker == nil {
		broker = NewMemoryBroker()
		e.ownBroker = true
	}
	e.hub = newHub(broker, e.log)
	e.fanout = e.hub
	if cfg.Cluster != nil {
		e.startCluster(cfg.Cluster)
	}
	e.listeners = newShardedMap[*roomListener]()
	e.userChans = newShardedMap[*userHandler]()
	e.presence = newPresenceTracker(e)
	e.modules[UserKind] = userModule{e: e}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.opsCtx, e.cancelOps = context.WithCancel(context.Background())
	e.aside.idle = make(chan *asideWorker, maxAsideIdle)
	e.beats = newBeatWheel(e)
	e.holds = newHoldQueues(e)
	e.upgrader = gws.NewUpgrader(&socketHandler{e: e}, &gws.ServerOption{
		ReadMaxPayloadSize: cfg.ReadLimit,
		ReadBufferSize:     readBufferSize,
		NewSession:         newSessionSlot,
		ParallelEnabled:    false,
		PermessageDeflate:  gws.PermessageDeflate{Enabled: cfg.Compression},
		SubProtocols:       []string{Subprotocol},
		HandshakeTimeout:   cfg.WriteTimeout,
		Recovery:           e.recoverSocketPanic,
		Logger:             zapGWSLogger{e.log},
	})
	if e.cluster != nil {
		if err := e.cluster.Start(clusterSide{e}); err != nil {
			return nil, fmt.Errorf("engine: start cluster: %w", err)
		}
		e.wg.Add(1)
		go e.watchResurfaced()
	}
	return e, nil
}

// Register adds a module. Kinds must be unique, non-empty and at most
// codec.MaxNameLen bytes. Register modules before serving.
func (e *Engine) Register(m room.Module) error {
	kind := m.Kind()
	if kind == "" || len(kind) > codec.MaxNameLen {
		return fmt.Errorf("engine: invalid module kind %q", kind)
	}
	e.modulesMu.Lock()
	defer e.modulesMu.Unlock()
	if _, dup := e.modules[kind]; dup {
		return fmt.Errorf("engine: module kind %q already registered", kind)
	}
	e.modules[kind] = m
	return nil
}

// Secret returns the key used for room ids, so that a host can compute the
// same ids (room.KeyedID) outside a session.
func (e *Engine) Secret() []byte { return e.secret }

// Room returns the running room with this id, if any. Use Room.Do to act
// on it from outside.
func (e *Engine) Room(id string) (*room.Room, bool) { return e.rooms.load(id) }

// Stats is a point-in-time count of the engine's sessions and rooms.
type Stats struct {
	Sessions int
	Rooms    int
}

// Stats counts current sessions and rooms.
func (e *Engine) Stats() Stats {
	return Stats{Sessions: e.sessions.len(), Rooms: e.rooms.len()}
}

func (e *Engine) module(kind string) room.Module {
	e.modulesMu.RLock()
	defer e.modulesMu.RUnlock()
	return e.modules[kind]
}

// Shutdown stops the engine: new upgrades get 503, every room runs the
// operations already in its mailbox (room.Room.Drain) and says goodbye to
// its members (OnLeave with reason shutdown, then OnDispose), every
// client is closed with 1001 after its queued frames are written, and
// Shutdown waits for all of the engine's goroutines. If ctx ends first,
// remaining connections are dropped and ctx's error is returned.
// A send that comes while the rooms stop, to a room that no longer takes
// it, gets no answer: its client writes it again after it resumes, with
// its client message id, where the room runs next. Shutdown does not stop
// the host's http.Server.
func (e *Engine) Shutdown(ctx context.Context) error {
	e.stopOnce.Do(func() {
		e.shutting.Store(true)
		e.upgrading.Lock() // no upgrade registers a session from now on
		e.upgrading.Unlock()
		e.cancel()
		e.aside.stop()
		e.presence.stop()
		for _, r := range e.rooms.values() {
			r.Drain()
		}
		for _, r := range e.rooms.values() {
			select {
			case <-r.Done():
			case <-ctx.Done():
			}
		}
		e.cancelOps()
		for _, s := range e.sessions.values() {
			s.closeAfterFlush(CloseGoingAway, "server shutting down")
		}
	})
	done := make(chan struct{})
	go func() {
		e.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		if e.ownBroker {
			_ = e.hub.broker.Close()
		}
		return nil
	case <-ctx.Done():
		for _, s := range e.sessions.values() {
			s.drop()
		}
		return ctx.Err()
	}
}

// recoverSocketPanic is gws's Recovery: a panic in the engine's own
// message handling is logged and the connection's read loop carries on.
func (e *Engine) recoverSocketPanic(gws.Logger) {
	if v := recover(); v != nil {
		e.log.Error("panic in message handling", zap.String("panic", fmt.Sprint(v)), zap.Stack("stack"))
	}
}

// zapGWSLogger routes gws's own log lines to zap.
type zapGWSLogger struct{ log *zap.Logger }

func (l zapGWSLogger) Error(v ...any) { l.log.Error("gws", zap.String("msg", fmt.Sprint(v...))) }
