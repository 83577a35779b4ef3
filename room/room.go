package room

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parlorhq/parlor/codec"
	"go.uber.org/zap"
)

// Config tunes a room. The zero value is usable: every field documents its
// default.
type Config struct {
	// MailboxSize bounds the operations (sends, joins, leaves) queued for
	// the room goroutine. A send that finds the mailbox full is rejected
	// with ErrBusy rather than blocking the sender's connection.
	// Zero means 256.
	MailboxSize int
	// IdleTTL is how long a room with no members lives before it is
	// disposed. Zero means 30s; a negative value disposes the room as soon
	// as its last member leaves.
	IdleTTL time.Duration
	// Fanout delivers broadcasts. Nil means direct delivery to the
	// sessions joined to this room in this process.
	Fanout Fanout
	// Logger receives handler panics and lifecycle events. Nil means no
	// logging.
	Logger *zap.Logger
	// OnExit, if set, is called on the room goroutine after OnDispose and
	// before waiters are released, so a registry can forget the room
	// before a retried join looks it up again.
	OnExit func(r *Room)

	// ReplayEvents bounds the recent ordered events kept to replay to
	// resuming clients. Zero means 256; negative disables the replay
	// buffer (a Replayer handler can still replay).
	ReplayEvents int
	// ReplayBytes bounds the encoded bytes of the kept events. Zero means
	// 64 KiB.
	ReplayBytes int
	// ReplayAge is how long a kept event stays replayable. Zero means 2m;
	// negative means no age limit.
	ReplayAge time.Duration
	// DedupEntries bounds the client message ids of successful sends the
	// room remembers, per room, to answer a resent send with its first
	// reply instead of applying it twice. Zero means 1024; negative
	// disables it.
	DedupEntries int
	// DedupBytes bounds the bytes of the replies kept with those ids. A
	// reply larger than this is not kept. Zero means 256 KiB.
	DedupBytes int
	// Clock reads the time and runs the room's timers: Room.After, ticks,
	// the idle TTL and the replay age bound. Nil means RealClock{}; tests
	// inject a fake clock (roomtest.FakeClock) to move time by hand.
	Clock Clock
	// ParkAfter is how long the room goroutine waits with nothing to do
	// before it exits, to be started again by the next op, timer or
	// Shutdown (see park.go). A parked room holds no goroutine and no
	// stack; nothing it holds is lost and nothing it does is reordered.
	// It is measured on the wall clock, not on Clock, since no handler
	// can see it. Zero means 100ms; negative never parks. A room run by Run
	// instead of Start never parks either.
	ParkAfter time.Duration
	// Go starts the room goroutine: at Start, and each time a parked
	// room has work again. Nil means a go statement; a host that counts
	// its goroutines (with a sync.WaitGroup, say) wraps f in its own.
	Go func(f func())
}

// Defaults of Config.
const (
	DefaultMailboxSize  = 256
	DefaultIdleTTL      = 30 * time.Second
	DefaultReplayEvents = 256
	DefaultReplayBytes  = 64 << 10
	DefaultReplayAge    = 2 * time.Minute
	DefaultDedupEntries = 1024
	DefaultDedupBytes   = 256 << 10
	DefaultParkAfter    = 100 * time.Millisecond
)

type opKind uint8

const (
	opJoin opKind = iota + 1
	opLeave
	opDisconnect
	opMessage
	opCall
)

// States of an op that a caller waits for (join, leave, Do). The room
// and the waiting caller each try to move it out of opPending; the one
// that succeeds decides whether the op runs.
const (
	// opPending: posted, not yet claimed by either side.
	opPending uint32 = iota
	// opTaken: the room claimed it; it runs or fails, and the caller
	// waits for the result whatever its ctx says.
	opTaken
	// opAbandoned: the caller's ctx ended first; the room skips it.
	opAbandoned
)

// op is one unit of work for the room goroutine.
type op struct {
	kind    opKind
	session Session
	ref     uint64
	params  []byte
	epoch   string
	since   uint64
	event   string
	data    []byte
	cmid    string
	fn      func()
	result  chan error
	// ctx and state are set for the ops a caller waits for.
	ctx   context.Context
	state atomic.Uint32
}

var opPool = sync.Pool{New: func() any { return new(op) }}

// member is a user in the room and the sessions through which they joined:
// usually one or two, so a slice, which costs far less than a map.
type member struct {
	sessions []Session
}

// find returns the index of the session with id, or -1.
func (m *member) find(id string) int {
	for i, s := range m.sessions {
		if s.ID() == id {
			return i
		}
	}
	return -1
}

// Room is one running room: a goroutine that owns the handler's state and
// processes the mailbox in order. Methods documented "room goroutine only"
// may be called only from handler hooks, timers and Do functions; the rest
// are safe from any goroutine.
//
// "The room goroutine" means whichever goroutine holds the room's actor
// lock: the room's own goroutine, or a member's connection running a send
// inline (SendInline) while the room is idle. One of them runs at a time,
// so hooks still run one call at a time and see each other's writes.
type Room struct {
	id      string
	kind    string
	handler Handler
	cfg     Config
	// log is the room's logger, with its fields, made the first time the
	// room logs (Logger): a logger with fields costs about 0.3 KiB, even
	// lazy ones, and most rooms never log.
	log atomic.Pointer[zap.Logger]

	mailbox chan *op
	timerq  chan *Timer
	stop    chan struct{}
	done    chan struct{}

	stopOnce sync.Once
	// state holds stateClosing, set when the room stops (dispose,
	// exit), and how it was asked to stop: stateDrain (Drain: the ops
	// already in its mailbox run first) and stateStopNow (Shutdown, also
	// after Drain: nothing more runs). From the first ask on, new sends,
	// joins and calls are refused with ErrClosed.
	state     atomic.Uint32
	createErr error

	// actor is held while the room's code runs: by the room goroutine
	// around each mailbox op, timer and shutdown, or by a sender running
	// an op inline. It is locked from New until OnCreate has run.
	actor sync.Mutex
	// queued counts the ops posted to the mailbox and not yet handled,
	// and, for a moment, one that a send or call counted and the room
	// then refused. A send runs inline only when it is zero, so that it
	// never overtakes an op posted before it (the same connection's
	// previous send).
	queued atomic.Int32
	// runner is the room goroutine's state: running, parked or stopped
	// (park.go). posted counts the timers and wake-ups sent to the room
	// goroutine and not yet taken, plus one for a requested Shutdown:
	// with queued, what a parking goroutine must find at zero.
	runner atomic.Uint32
	posted atomic.Int32
	// Beside the counters, where they take no room of their own.
	parkArmed bool
	parkBusy  bool
	// wake asks the room goroutine to check, after an inline op, whether
	// the room must now be disposed.
	wake chan struct{}
	// The room goroutine's park timer (park.go): made at its first wait
	// and dropped when it parks; parkArmed: it is running. parkIdle is
	// when the goroutine last went idle (parkClock); parkBusy: it has
	// handled an event since.
	parkTimer *time.Timer
	parkIdle  time.Duration

	// Owned by the room goroutine.
	seq         uint64
	epoch       string
	replay      replayBuffer
	dedup       dedupCache
	members     map[string]*member
	timers      map[*Timer]struct{}
	due         []*Timer // zero-delay timers to run after this operation
	idle        *Timer
	tick        *Timer
	tickEvery   time.Duration
	tickAt      time.Time     // when the last tick was due
	closeReason DisposeReason // set to stop after the current operation
	msg         Message
	join        Join
	buf         []byte
}

// New creates a room that is not yet running; call Start. Engines create
// rooms; tests and custom hosts may too.
func New(id, kind string, h Handler, cfg Config) *Room {
	if cfg.MailboxSize <= 0 {
		cfg.MailboxSize = DefaultMailboxSize
	}
	if cfg.IdleTTL == 0 {
		cfg.IdleTTL = DefaultIdleTTL
	}
	if cfg.ReplayEvents == 0 {
		cfg.ReplayEvents = DefaultReplayEvents
	}
	if cfg.ReplayBytes == 0 {
		cfg.ReplayBytes = DefaultReplayBytes
	}
	if cfg.ReplayAge == 0 {
		cfg.ReplayAge = DefaultReplayAge
	}
	if cfg.DedupEntries == 0 {
		cfg.DedupEntries = DefaultDedupEntries
	}
	if cfg.DedupBytes <= 0 {
		cfg.DedupBytes = DefaultDedupBytes
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	if cfg.ParkAfter == 0 {
		cfg.ParkAfter = DefaultParkAfter
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	r := &Room{
		id:      id,
		kind:    kind,
		handler: h,
		cfg:     cfg,
		mailbox: make(chan *op, cfg.MailboxSize),
		timerq:  make(chan *Timer),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		wake:    make(chan struct{}, 1),
		members: make(map[string]*member),
		timers:  make(map[*Timer]struct{}),
		epoch:   newEpoch(),
		replay:  newReplayBuffer(cfg.ReplayEvents, cfg.ReplayBytes, cfg.ReplayAge),
		dedup:   newDedupCache(cfg.DedupEntries, cfg.DedupBytes),
	}
	// Until OnCreate has run, no sender may run inline; run unlocks.
	r.actor.Lock()
	return r
}

// Start starts the room goroutine with Config.Go (a go statement by
// default). It runs OnCreate, then processes the mailbox, timers and
// ticks until the room stops; in between it parks while the room has
// nothing to do (Config.ParkAfter) and is started again with Config.Go.
func (r *Room) Start() { r.spawn(r.run) }

// Run is the room goroutine on the caller's goroutine: it runs OnCreate,
// then processes the mailbox, timers and ticks until the room stops, and
// returns when it has. A room run this way never parks. Hosts that track
// goroutines set Config.Go and call Start instead, or call Run.
func (r *Room) Run() {
	r.cfg.ParkAfter = -1
	r.run()
}

// ID returns the room id.
func (r *Room) ID() string { return r.id }

// Kind returns the module kind that created the room.
func (r *Room) Kind() string { return r.kind }

// Logger returns the room's logger, with room and kind fields set.
func (r *Room) Logger() *zap.Logger {
	if l := r.log.Load(); l != nil {
		return l
	}
	r.log.CompareAndSwap(nil, r.cfg.Logger.With(zap.String("room", r.id), zap.String("kind", r.kind)))
	return r.log.Load()
}

// Done is closed when the room goroutine has stopped.
func (r *Room) Done() <-chan struct{} { return r.done }

// Bits of Room.state.
const (
	stateClosing uint32 = 1 << iota
	stateDrain
	stateStopNow
)

// Shutdown asks the room to stop once the operation under way, if any,
// has ended: remaining members leave with LeaveShutdown, then OnDispose
// runs with DisposeShutdown. Operations still in the mailbox are refused
// (sends answered ErrClosed, joins and calls ErrClosed), and so are new
// ones from the call on. Called after Drain, it ends the drain after the
// operation under way. It does not wait; use Done.
func (r *Room) Shutdown() {
	r.state.Or(stateStopNow)
	r.signalStop()
}

// Drain is Shutdown for a room whose process is stopping while it still
// owns the room: the operations already in the mailbox run first, in
// order, as they would have (a send is applied and answered), and only
// then do the members leave. New sends, joins and calls are refused with
// ErrClosed from the call on (one that passed the room's check just as
// Drain was called runs too), so the wait is bounded by what the mailbox
// holds (Config.MailboxSize), and by the disconnects of sessions that
// close meanwhile, which are never refused. A Shutdown, before or during
// the drain, ends it: use it when the room must not run anything more,
// for example once another process may own it. It does not wait; use
// Done.
func (r *Room) Drain() {
	r.state.Or(stateDrain)
	r.signalStop()
}

// signalStop wakes the room goroutine for Shutdown or Drain, once.
func (r *Room) signalStop() {
	r.stopOnce.Do(func() {
		r.posted.Add(1) // never parks again: it has a shutdown to run
		close(r.stop)
		r.kick()
	})
}

// refusing reports whether the room takes no new operation: it stops,
// or was asked to.
func (r *Room) refusing() bool { return r.state.Load() != 0 }

// closing reports whether the room stops or has stopped (dispose, exit).
func (r *Room) closing() bool { return r.state.Load()&stateClosing != 0 }

// draining reports whether the room is asked to run its queued ops
// before it stops: Drain was called, and Shutdown was not.
func (r *Room) draining() bool { return r.state.Load()&(stateDrain|stateStopNow) == stateDrain }

// Join asks the room to admit session s. On success the room has already
// queued the joined frame (answering ref) to s; on failure nothing was
// sent and the error says why. If ctx ends before the room takes the
// join, Join returns ctx.Err() and the join never happens; once the room
// has taken it, Join waits for its result.
func (r *Room) Join(ctx context.Context, s Session, ref uint64, params []byte) error {
	return r.JoinFrom(ctx, s, ref, params, "", 0)
}

// JoinFrom is Join for a resuming client that last saw ordered event since
// of room epoch epoch. When the epoch is the room's and every later event
// can be replayed (from the replay buffer or a Replayer handler), the
// joined frame says recovered, carries since and no snapshot, and the
// missed events follow it; otherwise it is an ordinary join.
func (r *Room) JoinFrom(ctx context.Context, s Session, ref uint64, params []byte, epoch string, since uint64) error {
	o := &op{kind: opJoin, session: s, ref: ref, params: params, epoch: epoch, since: since, result: make(chan error, 1), ctx: ctx}
	return r.call(ctx, o)
}

// Leave removes session s from the room at its own request and waits for
// the room to process it. If ctx ends before the room takes the leave,
// Leave returns ctx.Err() and s stays in the room.
func (r *Room) Leave(ctx context.Context, s Session) error {
	o := &op{kind: opLeave, session: s, result: make(chan error, 1), ctx: ctx}
	return r.call(ctx, o)
}

// Disconnect tells the room that session s has closed. It does not wait
// for the room to process it.
func (r *Room) Disconnect(s Session) {
	o := &op{kind: opDisconnect, session: s}
	r.queued.Add(1)
	select {
	case r.mailbox <- o:
		r.kick()
	case <-r.done:
		r.queued.Add(-1)
	}
}

// Send queues an event from session s without waiting. The room answers
// ref with a reply frame once the handler is done. It returns ErrBusy when
// the mailbox is full and ErrClosed when the room has stopped; data must
// not be modified afterwards.
func (r *Room) Send(s Session, ref uint64, event string, data []byte, clientMsgID string) error {
	// Counted before the check: a draining room runs every op that
	// passed it (runQueued).
	r.queued.Add(1)
	if r.refusing() {
		r.queued.Add(-1)
		return ErrClosed
	}
	o := opPool.Get().(*op)
	*o = op{kind: opMessage, session: s, ref: ref, event: event, data: data, cmid: clientMsgID}
	select {
	case r.mailbox <- o:
		r.kick()
		if isDone(r.done) {
			r.failQueued() // the room stopped: o may be past exit's drain
		}
		return nil
	case <-r.done:
		r.queued.Add(-1)
		return ErrClosed
	default:
		r.queued.Add(-1)
		opPool.Put(o)
		return ErrBusy
	}
}

// SendInline is Send that runs the handler on the caller's goroutine when
// the room is idle: no op waits in the mailbox or runs, and the room is
// not closing. It then returns once the handler has replied and its
// broadcasts are queued to their recipients, without the hop to the room
// goroutine. Otherwise it queues like Send. Either way the room's ops run
// one at a time and a connection's sends in the order it made them, as
// long as each connection calls it from one goroutine (its reader).
func (r *Room) SendInline(s Session, ref uint64, event string, data []byte, clientMsgID string) error {
	if r.queued.Load() != 0 || !r.actor.TryLock() {
		return r.Send(s, ref, event, data, clientMsgID)
	}
	// Recheck under the lock: an op may have been posted, or the room
	// closed, since the first look.
	if r.queued.Load() != 0 || r.refusing() || r.closeReason != "" {
		r.actor.Unlock()
		return r.Send(s, ref, event, data, clientMsgID)
	}
	r.runInline(s, ref, event, data, clientMsgID)
	return nil
}

// runInline handles one send with the actor lock held, and releases it.
// A panic outside the handler's own recovery still releases the lock.
func (r *Room) runInline(s Session, ref uint64, event string, data []byte, clientMsgID string) {
	defer r.actor.Unlock()
	o := op{kind: opMessage, session: s, ref: ref, event: event, data: data, cmid: clientMsgID}
	r.handleMessage(&o)
	r.runDue()
	if r.closeReason != "" || (len(r.members) == 0 && r.cfg.IdleTTL < 0) {
		r.nudge()
	}
}

// nudge wakes the room goroutine to look at the room (afterOp): to dispose
// a room that closed itself, or emptied with no idle TTL, outside an op.
func (r *Room) nudge() {
	r.posted.Add(1)
	select {
	case r.wake <- struct{}{}:
		r.kick()
	default:
		r.posted.Add(-1) // one is already on its way
	}
}

// Do runs fn on the room goroutine and waits for it to return, so code
// outside the room (a host hook, a test) can read or change room state
// safely. It returns ErrClosed if the room stops first, and ctx.Err() if
// ctx ends before the room starts fn; fn then never runs.
func (r *Room) Do(ctx context.Context, fn func()) error {
	o := &op{kind: opCall, fn: fn, result: make(chan error, 1), ctx: ctx}
	return r.call(ctx, o)
}

// call posts o and waits for its result. If ctx ends while o still waits
// in the mailbox, call abandons it, so the room never runs it, and returns
// ctx.Err(). If the room has already taken o, call waits for the result
// instead, so the caller is told what happened.
func (r *Room) call(ctx context.Context, o *op) error {
	r.queued.Add(1) // before the check, as in Send
	if r.refusing() {
		r.queued.Add(-1)
		return r.closedErr()
	}
	select {
	case r.mailbox <- o:
		r.kick()
	case <-r.done:
		r.queued.Add(-1)
		return r.closedErr()
	case <-ctx.Done():
		r.queued.Add(-1)
		// Had o come, the room would have looked at itself after it
		// (afterOp: an empty room with no idle TTL is disposed): have it
		// look anyway. (cfg.IdleTTL is the room goroutine's to read.)
		r.nudge()
		return ctx.Err()
	}
	select {
	case err := <-o.result:
		return err
	case <-r.done:
		return r.resultOrClosed(o)
	case <-ctx.Done():
		if o.state.CompareAndSwap(opPending, opAbandoned) {
			return ctx.Err()
		}
	}
	// The room has taken o: wait for what it did, whatever ctx says.
	select {
	case err := <-o.result:
		return err
	case <-r.done:
		return r.resultOrClosed(o)
	}
}

// resultOrClosed is the error for o once the room has stopped: its result
// if the room answered it, otherwise the closed error.
func (r *Room) resultOrClosed(o *op) error {
	select {
	case err := <-o.result:
		return err
	default:
	}
	return r.closedErr()
}

// closedErr is the error for requests that reach a stopping or stopped
// room: the OnCreate error if the room never started, ErrClosed
// otherwise. createErr is set before closing is (and done is closed after
// both), so a caller that saw closing set reads it safely; one that comes
// while OnExit runs, after closing is set and before done is closed, gets
// the OnCreate error too, not ErrClosed.
func (r *Room) closedErr() error {
	if r.closing() && r.createErr != nil {
		return r.createErr
	}
	return ErrClosed
}

// run is the room goroutine's start. It holds the actor lock (taken in
// New) until OnCreate has run, then processes ops until the room stops or
// parks.
func (r *Room) run() {
	if err := r.safeCreate(); err != nil {
		r.createErr = err
		r.exit()
		r.actor.Unlock()
		return
	}
	// A room that never gets a member (its first join was refused) must
	// still be disposed after IdleTTL.
	r.scheduleIdle()
	r.runDue()
	r.actor.Unlock()
	r.loop()
}

// Events the room goroutine takes, one at a time.
const (
	evNone uint8 = iota // nothing: look again
	evOp
	evTimer
	evWake
	evStop
	evParked // the goroutine parked: return
)

// loop processes the mailbox, timers and wake-ups, taking the actor lock
// around each, until the room stops or parks. Whatever is ready is taken
// without waiting; only when nothing is does wait arm the park timer.
func (r *Room) loop() {
	for {
		var o *op
		var t *Timer
		var ev uint8
		if r.state.Load()&(stateDrain|stateStopNow) != 0 {
			// Asked to stop: before the mailbox, so that what waits
			// there is refused (Shutdown) or run by runQueued (Drain).
			r.step(evStop, nil, nil)
			return
		}
		select {
		case o = <-r.mailbox:
			ev = evOp
		case t = <-r.timerq:
			ev = evTimer
		case <-r.wake:
			ev = evWake
		case <-r.stop:
			ev = evStop
		default:
			ev, o, t = r.wait()
		}
		if ev == evParked || r.step(ev, o, t) {
			return
		}
		if ev != evNone {
			r.parkBusy = true
		}
	}
}

// step handles one event with the actor lock held. It reports whether
// the room stopped.
func (r *Room) step(ev uint8, o *op, t *Timer) bool {
	switch ev {
	case evNone:
		return false
	case evOp:
		r.actor.Lock()
		if r.state.Load()&stateStopNow != 0 || r.closeReason != "" {
			// Shutdown came between the loop's check and its select, or
			// a send run inline closed the room (its wake-up is on its
			// way): this op waited in the mailbox, and is refused as the
			// rest, since the room goes before anything else runs.
			reason := r.closeReason
			if r.state.Load()&stateStopNow != 0 {
				reason = DisposeShutdown
			}
			r.refuse(o)
			r.queued.Add(-1)
			r.dispose(reason)
			r.actor.Unlock()
			return true
		}
		r.handle(o)
		r.queued.Add(-1)
	case evTimer:
		r.posted.Add(-1)
		r.actor.Lock()
		if r.closeReason != "" {
			r.dispose(r.closeReason) // closed inline: the timer does not fire
			r.actor.Unlock()
			return true
		}
		r.fire(t)
	case evWake:
		r.posted.Add(-1)
		r.actor.Lock()
	case evStop:
		r.actor.Lock()
		if !r.draining() || !r.runQueued() {
			r.dispose(DisposeShutdown)
		}
		r.actor.Unlock()
		return true
	}
	stopped := r.afterOp()
	r.actor.Unlock()
	return stopped
}

// afterOp runs the zero-delay timers of the op that just ended and
// disposes the room if it closed itself or emptied with no idle TTL. It
// reports whether the room stopped.
func (r *Room) afterOp() bool {
	r.runDue()
	if r.closeReason != "" {
		r.dispose(r.closeReason)
		return true
	}
	if len(r.members) == 0 && r.cfg.IdleTTL < 0 {
		r.dispose(DisposeIdle)
		return true
	}
	return false
}

// runQueued runs the ops left in the mailbox of a room being drained, in
// order, each followed by its zero-delay timers, until none is on its
// way: Send and call count an op (queued) before they check the room, so
// one that checked it before Drain was called is in the mailbox or about
// to be, or gives up and uncounts itself (a full mailbox, an ended
// context). It stops early when the room closed itself (it is disposed
// then, and runQueued reports true) or a Shutdown came.
func (r *Room) runQueued() bool {
	for {
		if r.closeReason != "" {
			r.dispose(r.closeReason)
			return true
		}
		if !r.draining() {
			return false
		}
		select {
		case o := <-r.mailbox:
			r.handle(o)
			r.queued.Add(-1)
			r.runDue()
		default:
			if r.queued.Load() == 0 {
				return false
			}
			runtime.Gosched() // a poster between its count and its post
		}
	}
}

// handle processes one mailbox operation.
func (r *Room) handle(o *op) {
	switch o.kind {
	case opJoin, opLeave, opCall:
		if !r.take(o) {
			return
		}
	}
	switch o.kind {
	case opJoin:
		o.result <- r.handleJoin(o)
	case opLeave:
		r.removeSession(o.session, LeaveLeft, false)
		o.result <- nil
	case opDisconnect:
		r.removeSession(o.session, LeaveDisconnected, false)
	case opMessage:
		r.handleMessage(o)
		*o = op{}
		opPool.Put(o)
	case opCall:
		r.safe("Do", o.fn)
		o.result <- nil
	}
}

// take claims an op its caller waits for. It reports false when the op
// must be skipped: the caller has given up on it, or its ctx ended while
// it waited in the mailbox (the caller is then sent ctx.Err()).
func (r *Room) take(o *op) bool {
	if !o.state.CompareAndSwap(opPending, opTaken) {
		return false
	}
	if err := o.ctx.Err(); err != nil {
		o.result <- err
		return false
	}
	return true
}

func (r *Room) handleJoin(o *op) error {
	s := o.session
	user := s.UserID()
	m := r.members[user]
	r.join = Join{Context: o.ctx, User: user, Session: s, Params: o.params, Rejoin: m != nil, Epoch: o.epoch, Since: o.since}
	var snapshot any
	var err error
	panicked := r.safe("OnJoin", func() { snapshot, err = r.handler.OnJoin(r, &r.join) })
	r.join = Join{}
	if panicked {
		return ErrPanic
	}
	if err != nil {
		return err
	}
	raw, err := encodeData(snapshot)
	if err != nil {
		r.Logger().Error("encode snapshot", zap.Error(err))
		return ErrPanic
	}
	// OnJoin may have changed the members (a Kick of the joiner's other
	// sessions, say): the joiner goes into the room as it is now.
	m = r.members[user]
	if m == nil {
		m = &member{}
		r.members[user] = m
		if r.idle != nil {
			r.idle.Stop()
			r.idle = nil
		}
	}
	switch i := m.find(s.ID()); {
	case i < 0:
		m.sessions = append(m.sessions, s)
		s.RoomJoined(r)
		if r.cfg.Fanout != nil {
			r.cfg.Fanout.Attach(r.id, s)
		}
	case m.sessions[i] != s:
		// The same session, joining again through another Session
		// value (a cluster owner's view of a member on another node,
		// made anew for the node's new link): it takes the old value's
		// place, and the broadcasts follow it. The old value is dropped
		// without a word: the membership goes on.
		old := m.sessions[i]
		m.sessions[i] = s
		s.RoomJoined(r)
		if r.cfg.Fanout != nil {
			r.cfg.Fanout.Attach(r.id, s)
			r.cfg.Fanout.Detach(r.id, old)
		}
	}
	var missed [][]byte
	recovered := false
	if o.epoch != "" && o.epoch == r.epoch && o.since <= r.seq {
		missed, recovered = r.missedSince(o.since)
	}
	seq := r.seq
	if recovered {
		seq, raw = o.since, nil
	}
	frame := make([]byte, 0, len(r.id)+len(r.epoch)+len(raw)+40)
	s.Deliver(codec.AppendJoined(frame, o.ref, r.id, seq, raw, r.epoch, recovered))
	for _, f := range missed {
		s.Deliver(f)
	}
	return nil
}

// removeSession takes s out of the room. notify sends the client a left
// frame, for removals it did not ask for.
func (r *Room) removeSession(s Session, reason LeaveReason, notify bool) {
	user := s.UserID()
	m := r.members[user]
	if m == nil {
		return
	}
	i := m.find(s.ID())
	if i < 0 {
		return
	}
	// The session as the room holds it, which may be another value of
	// the same session than s (handleJoin): that one is detached.
	s = m.sessions[i]
	m.sessions = slices.Delete(m.sessions, i, i+1)
	r.detach(s, reason, notify)
	if len(m.sessions) > 0 {
		return
	}
	delete(r.members, user)
	r.safe("OnLeave", func() { r.handler.OnLeave(r, user, reason) })
	r.scheduleIdle()
}

func (r *Room) detach(s Session, reason LeaveReason, notify bool) {
	if r.cfg.Fanout != nil {
		r.cfg.Fanout.Detach(r.id, s)
	}
	if notify {
		s.Deliver(codec.AppendLeft(nil, r.id, string(reason)))
	}
	s.RoomLeft(r, reason)
}

// scheduleIdle arms the idle timer when the room has become empty.
func (r *Room) scheduleIdle() {
	if len(r.members) > 0 || r.idle != nil || r.cfg.IdleTTL < 0 {
		return
	}
	r.idle = r.After(r.cfg.IdleTTL, func() {
		r.idle = nil
		if len(r.members) == 0 && r.closeReason == "" {
			r.closeReason = DisposeIdle
		}
	})
}

func (r *Room) handleMessage(o *op) {
	s := o.session
	user := s.UserID()
	m := r.members[user]
	if m == nil || m.find(s.ID()) < 0 {
		r.reply(s, o.ref, nil, ErrNotMember)
		return
	}
	// A resend of a send that already succeeded gets its first reply.
	if raw, ok := r.dedup.lookup(user, o.cmid); ok {
		s.Deliver(codec.AppendReply(make([]byte, 0, 16+len(raw)), o.ref, "", "", raw))
		return
	}
	r.msg = Message{User: user, Session: s, Event: o.event, Data: o.data, ClientMsgID: o.cmid}
	var reply any
	var err error
	if r.safe("OnMessage", func() { reply, err = r.handler.OnMessage(r, &r.msg) }) {
		err = ErrPanic
	}
	r.msg = Message{}
	if raw, ok := r.reply(s, o.ref, reply, err); ok {
		r.dedup.remember(user, o.cmid, raw)
	}
}

// reply encodes and queues a reply frame to s. It returns the encoded
// reply data and whether the reply is a success.
func (r *Room) reply(s Session, ref uint64, data any, err error) ([]byte, bool) {
	if err != nil {
		ce := codec.AsError(err)
		if ce.Code == codec.CodeInternal && err != ErrPanic {
			r.Logger().Error("handler error", zap.String("user", s.UserID()), zap.String("conn", s.ID()), zap.Error(err))
		}
		s.Deliver(codec.AppendReply(make([]byte, 0, 32+len(ce.Message)), ref, ce.Code, ce.Message, nil))
		return nil, false
	}
	raw, encErr := encodeData(data)
	if encErr != nil {
		r.Logger().Error("encode reply", zap.Error(encErr))
		s.Deliver(codec.AppendReply(nil, ref, codec.CodeInternal, "internal error", nil))
		return nil, false
	}
	s.Deliver(codec.AppendReply(make([]byte, 0, 16+len(raw)), ref, "", "", raw))
	return raw, true
}

// dispose removes every member, runs OnDispose and stops the goroutine.
func (r *Room) dispose(reason DisposeReason) {
	r.state.Or(stateClosing)
	leave := LeaveShutdown
	if reason == DisposeClosed {
		leave = LeaveClosed
	}
	for user, m := range r.members {
		for _, s := range m.sessions {
			r.detach(s, leave, true)
		}
		delete(r.members, user)
		r.safe("OnLeave", func() { r.handler.OnLeave(r, user, leave) })
	}
	r.safe("OnDispose", func() { r.handler.OnDispose(r, reason) })
	r.exit()
}

// exit stops timers, lets the registry forget the room, fails queued
// requests and releases waiters.
func (r *Room) exit() {
	r.state.Or(stateClosing)
	r.runner.Store(runnerStopped)
	if r.parkTimer != nil {
		r.parkTimer.Stop()
	}
	for t := range r.timers {
		if t.s != nil {
			t.s.Stop()
		}
	}
	r.timers = nil
	if r.cfg.OnExit != nil {
		r.cfg.OnExit(r)
	}
	close(r.done)
	r.failQueued()
}

// failQueued fails the ops left in the mailbox of a stopped room: a
// message is answered ErrClosed, a join, leave or call gets the room's
// closed error. exit runs it once done is closed, and so does a Send that
// got its op into the mailbox after that drain (its select may pick the
// mailbox over done when both are ready), so that every accepted send is
// answered. Each op is taken by one of them.
func (r *Room) failQueued() {
	for {
		select {
		case o := <-r.mailbox:
			r.refuse(o)
		default:
			return
		}
	}
}

// refuse answers an op of a stopping or stopped room instead of running
// it: a message with ErrClosed, a join, leave or call with the room's
// closed error.
func (r *Room) refuse(o *op) {
	switch o.kind {
	case opMessage:
		r.reply(o.session, o.ref, nil, ErrClosed)
	case opJoin, opLeave, opCall:
		o.result <- r.closedErr()
	}
}

// safe runs fn, recovering and logging a panic. It reports whether fn
// panicked.
func (r *Room) safe(hook string, fn func()) (panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			panicked = true
			r.Logger().Error("handler panic", zap.String("hook", hook),
				zap.String("panic", fmt.Sprint(v)), zap.ByteString("stack", debug.Stack()))
		}
	}()
	fn()
	return false
}

func (r *Room) safeCreate() (err error) {
	if r.safe("OnCreate", func() { err = r.handler.OnCreate(r) }) {
		return ErrPanic
	}
	return err
}

// isDone reports whether done is closed.
func isDone(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}
