package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/parlorhq/parlor/cluster/forward"
	"github.com/parlorhq/parlor/cluster/lease"
	"github.com/parlorhq/parlor/cluster/natsbroker"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
)

// ErrNodeStarted is returned by a second Node.Start.
var ErrNodeStarted = errors.New("cluster: node already started")

// Node is one Parlor node of a cluster on NATS: it implements
// engine.Cluster with a lease manager (room ownership), a forwarding
// client and server (joins, sends and leaves of remote members), a broker
// for the room subjects, one for the user subjects, and heartbeats that
// tell the other nodes it is alive. Build it with NewNode and give it to
// one engine as engine.Config.Cluster.
type Node struct {
	nc     *nats.Conn
	cfg    NodeConfig
	log    *zap.Logger
	leases *lease.Manager
	rooms  *natsbroker.Broker
	users  *natsbroker.Broker
	fwd    *forward.Client
	out    *linksOut // the batches published, by destination (batchlink.go)
	in     *linksIn  // the batches received, by sender
	// handled counts the batches received and noted (receiveBatches).
	handled paddedCount
	// Counts for Stats, each on a cache line of its own: handled,
	// published and forwarded are written per message, by different
	// goroutines.
	published, forwarded, unreached, silences, gone paddedCount

	mu      sync.Mutex
	server  *forward.Server
	batches *nats.Subscription // parlor.rooms.<name>
	peers   map[string]*peer
	hbSub   *nats.Subscription
	upWait  chan struct{} // closed when the connection is back (Connected)
	// resurfaced is closed when this node is heard again after a silence
	// that other nodes may have taken for its death (Resurfaced).
	resurfaced chan struct{}
	// lastBeat is when this node's last heartbeat came back, or when
	// the node started.
	lastBeat time.Time
	// heardSelf is set once a heartbeat of this node came back: from
	// then on, not hearing its own heartbeats says this node is deaf
	// (check). A connection made with nats.NoEcho never sets it.
	heardSelf bool
	// silenceFrom is when the last silence that ended in Resurfaced
	// began, less a heartbeat interval, or the first of silences that
	// ended within silenceSpan of each other: a batch loss seen after it
	// may be of such a silence (Check). resurfacedAt is when the last
	// silence ended.
	silenceFrom  time.Time
	resurfacedAt time.Time
	stop         chan struct{}
	done         chan struct{}
	// leaseDone is closed when watchLeases has returned.
	leaseDone chan struct{}
	closed    bool
}

// peer is another node this node watches.
type peer struct {
	seen time.Time
	gone chan struct{}
}

// NewNode builds a node on nc, which the caller keeps and closes after
// the node (Close). It opens the lease bucket (creating it if needed) and
// starts the heartbeats; the forwarding server starts with the engine
// (Start).
//
// A JetStream cluster that has just started answers nothing, or refuses,
// until it has elected its leaders: NewNode tries to open the bucket again
// (each attempt bounded by 2 s, pauses from 50 ms doubling up to 1 s, each
// failure logged as a warning) until it succeeds or ctx ends, and then
// returns the last failure. Give ctx a deadline.
func NewNode(ctx context.Context, nc *nats.Conn, cfg NodeConfig) (*Node, error) {
	if cfg.Name == "" {
		return nil, ErrNoNode
	}
	cfg = cfg.withDefaults()
	if cfg.NodeTimeout < minBeatsPerTimeout*cfg.HeartbeatInterval {
		return nil, fmt.Errorf("%w: NodeTimeout %v is under %d heartbeat intervals of %v", ErrLiveness, cfg.NodeTimeout, minBeatsPerTimeout, cfg.HeartbeatInterval)
	}
	log := cfg.Logger.With(zap.String("node", cfg.Name))
	lm, err := openLeases(ctx, nc, cfg, log)
	if err != nil {
		return nil, err
	}
	n := &Node{
		nc:     nc,
		cfg:    cfg,
		log:    log,
		leases: lm,
		rooms:  natsbroker.New(nc, natsbroker.Config{Logger: log}),
		users:  natsbroker.New(nc, natsbroker.Config{SubjectPrefix: DefaultUserSubjectPrefix, Logger: log}),
		fwd:    forward.NewClient(nc, forward.ClientConfig{Timeout: cfg.ForwardTimeout}),
		out:    newLinksOut(),
		in:     newLinksIn(),
		peers:  make(map[string]*peer),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),

		leaseDone:  make(chan struct{}),
		resurfaced: make(chan struct{}),
		lastBeat:   time.Now(),
	}
	n.hbSub, err = nc.Subscribe(DefaultNodeSubjectPrefix+".*", n.heard)
	if err != nil {
		_ = lm.Close()
		return nil, err
	}
	go n.heartbeat()
	go n.watchLeases()
	return n, nil
}

// Node implements engine.Cluster.
func (n *Node) Node() string { return n.cfg.Name }

// Broker implements engine.Cluster: a broker on the subjects
// parlor.room.<topic>, which rooms on a cluster do not use (their frames
// travel to member nodes in batches, PublishNode).
func (n *Node) Broker() engine.Broker { return n.rooms }

// Leases returns the node's lease manager, for tests and operators.
func (n *Node) Leases() *lease.Manager { return n.leases }

// Start implements engine.Cluster: it serves this node's forwarding
// subjects with h.
func (n *Node) Start(h engine.ClusterHandler) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.server != nil {
		return ErrNodeStarted
	}
	// The batches first: the forwarding server's flush makes sure the
	// server has both subscriptions before any join is forwarded here.
	batches, err := n.receiveBatches(h)
	if err != nil {
		return err
	}
	s, err := forward.Serve(n.nc, forward.ServerConfig{Node: n.cfg.Name, Handler: forwardHandler{h, n}, Logger: n.log})
	if err != nil {
		_ = batches.Unsubscribe()
		return err
	}
	n.server, n.batches = s, batches
	return nil
}

// Acquire implements engine.Cluster: with existing, the lease bucket is
// read first (lease.Manager.AcquireExisting), one request for a room
// another node holds instead of two.
func (n *Node) Acquire(ctx context.Context, room string, existing bool) (engine.RoomLease, error) {
	acquire := n.leases.Acquire
	if existing {
		acquire = n.leases.AcquireExisting
	}
	l, err := acquire(ctx, room)
	var taken *lease.TakenError
	switch {
	case errors.As(err, &taken):
		return nil, &engine.OwnedError{Owner: taken.Owner}
	case errors.Is(err, lease.ErrClosed):
		return nil, engine.ErrShutdown
	case err != nil:
		return nil, err
	}
	return roomLease{l: l, timeout: n.leases.TTL()}, nil
}

// roomLease is a lease.Lease as an engine.RoomLease.
type roomLease struct {
	l       *lease.Lease
	timeout time.Duration
}

func (r roomLease) Done() <-chan struct{} { return r.l.Done() }

func (r roomLease) Release() {
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	_ = r.l.Release(ctx)
}

func (r roomLease) Lapse() { r.l.Lapse() }

func (r roomLease) Idle(idle bool) { r.l.SetIdle(idle) }

// Handover implements engine.Cluster: the delete is bounded by the lease
// TTL, as a release is.
func (n *Node) Handover(room string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), n.leases.TTL())
	defer cancel()
	return n.leases.Handover(ctx, room)
}

// Join implements engine.Cluster: the request is published at once
// (forward.Client.JoinAsync), and a join the owner took is answered by
// the session's joined frame in the owner's batch, which the engine
// watches for; only the owner's refusal, or "no responders" for a gone
// owner, comes to done, and an older owner's success (it answers every
// join) comes as nil. An owner that answers nothing within
// ForwardTimeout or half the lease TTL, whichever is shorter (paused, cut
// off), is reported as gone (engine.ErrOwnerGone) once that wait is over,
// whether the joined frame came or not (the engine no longer listens
// then), so that the engine looks the room's owner up again, as it does
// for a dead one: the lease of an owner that cannot answer ends within
// the lease TTL and the room moves, and a join that waited longer would
// find it stale only after that wait. Were the join applied late after
// all, the session's next join is the same membership.
func (n *Node) Join(owner string, j *engine.ClusterJoin, done func(error)) error {
	var once sync.Once
	answer := func(err error) { once.Do(func() { done(err) }) }
	n.forwarded.Add(1)
	t := time.AfterFunc(min(n.cfg.ForwardTimeout, n.leases.TTL()/2), func() { answer(engine.ErrOwnerGone) })
	err := n.fwd.JoinAsync(owner, &forward.Join{
		Room: j.Room, Kind: j.Kind, User: j.User, Session: j.Session, Node: j.Node,
		Params: j.Params, Epoch: j.Epoch, Since: j.Since, Ref: j.Ref,
	}, func(err error) {
		t.Stop()
		n.noteUnreached(err)
		if errors.Is(err, forward.ErrTimeout) {
			err = engine.ErrOwnerGone
		}
		answer(forwardErr(err))
	})
	if err != nil {
		n.noteUnreached(err)
		if !t.Stop() {
			// The wait ended while the request was being published (a
			// slow connection): done has had its answer, and an error
			// returned now would be a second one.
			return nil
		}
	}
	return forwardErr(err)
}

// noteUnreached counts a forwarded request that did not reach an owner
// (Stats): err, its outcome before forwardErr, says nobody serves the
// owner's subject, or NATS was down. A timeout is not counted here: the
// owner answers a join, send or leave it took with the room's frames,
// not on the request, so that their requests end in a timeout when all
// is well; a check's timeout is counted by Check.
func (n *Node) noteUnreached(err error) {
	if errors.Is(err, forward.ErrNoResponder) || errors.Is(err, forward.ErrUnavailable) {
		n.unreached.Add(1)
	}
}

// Send implements engine.Cluster: the request is published at once
// (forward.Client.SendAsync), and the owner's refusal, or "no responders"
// for a gone owner, goes to done; a send the owner took is answered by
// the room alone.
func (n *Node) Send(owner string, s *engine.ClusterSend, done func(error)) error {
	n.forwarded.Add(1)
	err := n.fwd.SendAsync(owner, &forward.Send{
		Room: s.Room, User: s.User, Session: s.Session, Node: s.Node,
		Event: s.Event, Data: s.Data, ClientMsgID: s.ClientMsgID, Ref: s.Ref,
	}, func(err error) {
		n.noteUnreached(err)
		done(forwardErr(err))
	})
	n.noteUnreached(err)
	return forwardErr(err)
}

// Leave implements engine.Cluster: the request is published at once
// (forward.Client.LeaveAsync), and the owner's refusal, or "no
// responders" for a gone owner, goes to done; a leave the owner took is
// answered by the room alone. Nothing within ForwardTimeout is
// engine.ErrLeaveTimeout, and an older owner's success (it answers every
// leave) is nil: the leave is done.
func (n *Node) Leave(owner string, l *engine.ClusterLeave, done func(error)) error {
	n.forwarded.Add(1)
	err := n.fwd.LeaveAsync(owner, &forward.Leave{
		Room: l.Room, User: l.User, Session: l.Session, Node: l.Node, Disconnected: l.Disconnected,
	}, func(err error) {
		n.noteUnreached(err)
		if errors.Is(err, forward.ErrTimeout) {
			done(engine.ErrLeaveTimeout)
			return
		}
		done(forwardErr(err))
	})
	n.noteUnreached(err)
	return forwardErr(err)
}

// SilenceStart implements engine.ClusterChecker: when the silence that
// Resurfaced last signalled began, less a heartbeat interval, or the
// first of silences that ended within silenceSpan of each other.
func (n *Node) SilenceStart() time.Time {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.silenceFrom
}

// Check implements engine.ClusterChecker (forward.Client.Check): the
// owner's answer, all within ForwardTimeout, holds only once this node
// has received the owner's batches up to the last it had published here
// when it answered, with no loss seen since c.Since (batchlink.go).
func (n *Node) Check(ctx context.Context, owner string, c *engine.ClusterCheck) ([]int, error) {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.ForwardTimeout)
	defer cancel()
	ck := &forward.Check{Node: c.Node, Members: make([]forward.Member, len(c.Members))}
	if d, ok := ctx.Deadline(); ok {
		// Half of what is left for the owner: the answer's way back and
		// the wait for the owner's batches take the rest.
		ck.Wait = time.Until(d) / 2
	}
	for i, m := range c.Members {
		ck.Members[i] = forward.Member{Room: m.Room, Session: m.Session}
	}
	n.forwarded.Add(1)
	a, err := n.fwd.Check(ctx, owner, ck)
	if err != nil {
		n.noteUnreached(err)
		if errors.Is(err, forward.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
			n.unreached.Add(1) // a check is answered, whatever the owner holds
		}
		return nil, forwardErr(err)
	}
	if len(a.Held) == 0 {
		return nil, nil
	}
	if !n.in.awaitBatch(ctx, owner, a.Incarnation, a.Batches, c.Since, n.batchesDrained()) {
		n.log.Info("cluster: frames from an owner may have been lost in the silence: its memberships move",
			zap.String("owner", owner), zap.Int("held", len(a.Held)))
		return nil, nil
	}
	return a.Held, nil
}

// batchesDrained returns a func that reports whether every batch this
// node's connection had read when batchesDrained was called has been
// handed to the engine and noted (receiveBatches). It counts what was
// pending then (nats.go counts a message pending until its handler has
// returned), read before the handled count so that a batch handled in
// between is counted twice at worst: the func then waits for one batch
// more, never less, and batches that go on arriving do not keep it from
// turning true.
func (n *Node) batchesDrained() func() bool {
	n.mu.Lock()
	sub := n.batches
	n.mu.Unlock()
	if sub == nil {
		return nil
	}
	pending, _, err := sub.Pending()
	if err != nil {
		return nil
	}
	target := uint64(pending) + n.handled.Load()
	return func() bool { return n.handled.Load() >= target }
}

// forwardErr maps forwarding failures to the engine's errors: no responder
// is a gone owner, and the owner's not-owner and room-freed answers are
// engine.ErrNotOwner and engine.ErrRoomFreed themselves, so that the
// engine looks the owner up again.
func forwardErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, forward.ErrNoResponder) {
		return engine.ErrOwnerGone
	}
	var ce *codec.Error
	if errors.As(err, &ce) && ce.Code == engine.ErrNotOwner.Code {
		switch ce.Message {
		case engine.ErrNotOwner.Message:
			return engine.ErrNotOwner
		case engine.ErrRoomFreed.Message:
			return engine.ErrRoomFreed
		}
	}
	return err
}

// errNoChecks: the engine's handler does not answer membership checks
// (engine.ClusterCheckHandler).
var errNoChecks = &codec.Error{Code: codec.CodeBadRequest, Message: "cluster: membership checks not answered here"}

// forwardHandler serves forwarded requests with the engine's handler.
type forwardHandler struct {
	h engine.ClusterHandler
	n *Node
}

func reply(respond func(*forward.Reply)) func(error) {
	return func(err error) {
		if err != nil {
			respond(forward.ErrorReply(err))
			return
		}
		respond(&forward.Reply{})
	}
}

func (f forwardHandler) Join(j *forward.Join, respond func(*forward.Reply)) {
	f.h.Join(&engine.ClusterJoin{
		Room: j.Room, Kind: j.Kind, User: j.User, Session: j.Session, Node: j.Node,
		Ref: j.Ref, Params: j.Params, Epoch: j.Epoch, Since: j.Since,
	}, reply(respond))
}

func (f forwardHandler) Send(s *forward.Send, respond func(*forward.Reply)) {
	f.h.Send(&engine.ClusterSend{
		Room: s.Room, User: s.User, Session: s.Session, Node: s.Node,
		Ref: s.Ref, Event: s.Event, Data: s.Data, ClientMsgID: s.ClientMsgID,
	}, reply(respond))
}

func (f forwardHandler) Leave(l *forward.Leave, respond func(*forward.Reply)) {
	f.h.Leave(&engine.ClusterLeave{
		Room: l.Room, User: l.User, Session: l.Session, Node: l.Node, Disconnected: l.Disconnected,
	}, reply(respond))
}

func (f forwardHandler) Check(c *forward.Check, respond func(*forward.Reply)) {
	ck := &engine.ClusterCheck{Node: c.Node, Members: make([]engine.ClusterMember, len(c.Members)), Wait: c.Wait}
	for i, m := range c.Members {
		ck.Members[i] = engine.ClusterMember{Room: m.Room, Session: m.Session}
	}
	ch, ok := f.h.(engine.ClusterCheckHandler)
	if !ok {
		respond(forward.ErrorReply(errNoChecks))
		return
	}
	ch.Check(ck, func(held []int, err error) {
		if err != nil {
			respond(forward.ErrorReply(err))
			return
		}
		// The batch count is read after the look: a batch published
		// before it is counted.
		data, err := codec.MarshalData(&forward.CheckAnswer{Held: held, Incarnation: f.n.out.incarnation, Batches: f.n.out.last(c.Node)})
		if err != nil {
			respond(forward.ErrorReply(err))
			return
		}
		respond(&forward.Reply{Data: data})
	})
}

// PublishUser implements engine.Cluster (parlor.user.<user>).
func (n *Node) PublishUser(user string, payload []byte) error { return n.users.Publish(user, payload) }

// SubscribeUser implements engine.Cluster.
func (n *Node) SubscribeUser(user string, fn func([]byte)) (func(), error) {
	return n.users.Subscribe(user, fn)
}

// Ready reports whether the node's NATS connection is up and answers, for
// the host's readiness probe.
func (n *Node) Ready(ctx context.Context) error { return n.rooms.Ready(ctx) }

// Close stops the node: it tells the other nodes it is leaving, stops
// serving forwarded requests, and ends the leases still held (they expire
// after the lease TTL; Engine.Shutdown releases them before, as each room
// stops). Shut the engine down first. Close leaves the NATS connection
// open.
func (n *Node) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	srv, batches := n.server, n.batches
	n.mu.Unlock()
	close(n.stop)
	<-n.done
	<-n.leaseDone
	_ = n.hbSub.Unsubscribe()
	if n.nc.IsConnected() {
		_ = n.nc.Publish(n.heartbeatSubject(), []byte(byeMessage))
		_ = n.nc.FlushTimeout(n.cfg.HeartbeatInterval)
	}
	var errs []error
	if srv != nil {
		errs = append(errs, srv.Close())
	}
	if batches != nil {
		if err := batches.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			errs = append(errs, err)
		}
	}
	n.fwd.Close()
	errs = append(errs, n.leases.Close(), n.rooms.Close(), n.users.Close())
	return errors.Join(errs...)
}

// Stats returns the node's counts for metrics (metrics.Metrics.CountCluster).
func (n *Node) Stats() engine.ClusterStats {
	return engine.ClusterStats{
		Connected:        n.nc.IsConnected() && n.leases.Reachable(), // as Connected reports it
		Leases:           n.leases.Count(),
		LeasesLost:       n.leases.Lost(),
		Forwarded:        n.forwarded.Load(),
		ForwardUnreached: n.unreached.Load(),
		BatchesPublished: n.published.Load(),
		BatchesReceived:  n.handled.Load(),
		BatchGaps:        n.in.gapCount(),
		Silences:         n.silences.Load(),
		NodesGone:        n.gone.Load(),
	}
}

// paddedCount is a counter alone on its cache line.
type paddedCount struct {
	atomic.Uint64
	_ [56]byte
}
