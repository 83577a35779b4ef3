// Package lease gives each room one owner node cluster-wide: a lease is a
// key in a JetStream KV bucket, named by the room, whose value is the
// owner's node name.
//
//   - Acquire creates the key (it succeeds only if the key is absent), so
//     of two nodes racing for a room exactly one wins.
//   - The owner renews the lease by updating the key with the revision it
//     last wrote; the update fails if anyone else wrote in between, and
//     the owner then knows it lost the room.
//   - The bucket's max age is the lease TTL: a key not renewed for TTL
//     disappears when the server purges it; before that, Acquire on any
//     node sees from the key's timestamp that it is stale and takes it
//     over with a write that expects its revision.
//   - Release deletes the key, only if it still holds the owner's
//     revision, so another node can take the room at once.
//
// A lease alone does not stop a paused owner from writing after it
// expired; the stores' sequence checks do (docs/cluster.md, fencing). The
// lease's revision grows with every write and can serve as a fencing
// token.
package lease

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/parlorhq/parlor/cluster/internal/token"
)

// Manager acquires, renews and releases the leases of one node.
type Manager struct {
	cfg Config
	kv  jetstream.KeyValue
	log *zap.Logger

	mu     sync.Mutex
	closed bool
	leases map[string]*Lease
	// acquiring holds, per room, a channel closed when the Acquire under
	// way for it ends: a second Acquire of the same room waits for it
	// instead of racing it (and replacing its lease as "our own name").
	acquiring map[string]chan struct{}
	// lapsed holds the leases this node stopped renewing without deleting
	// their keys, until they expire (lapse.go).
	lapsed map[string]lapsed

	reach reach // whether the bucket answers (reach.go)
	// lost counts the leases that ended lost (Lost).
	lost atomic.Uint64

	stop chan struct{}
	done chan struct{}
}

// NewManager opens the lease bucket on nc, creating it or updating its
// TTL and replicas to cfg's, and starts renewing. The caller keeps
// ownership of nc and closes it after the manager. In a JetStream cluster
// that has just started, the bucket cannot be created until JetStream has
// elected its leader: retry on error.
func NewManager(ctx context.Context, nc *nats.Conn, cfg Config) (*Manager, error) {
	if cfg.Node == "" {
		return nil, ErrNoNode
	}
	cfg = cfg.withDefaults()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	kv, err := openBucket(ctx, js, cfg)
	if err != nil {
		return nil, errors.Join(ErrUnavailable, err)
	}
	m := &Manager{
		cfg:       cfg,
		kv:        kv,
		log:       cfg.Logger.With(zap.String("node", cfg.Node)),
		leases:    make(map[string]*Lease),
		acquiring: make(map[string]chan struct{}),
		lapsed:    make(map[string]lapsed),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	if cfg.RenewInterval > 0 {
		go m.renewLoop()
	} else {
		close(m.done)
	}
	return m, nil
}

// Node is the name this manager writes into its leases.
func (m *Manager) Node() string { return m.cfg.Node }

// TTL is the lease lifetime after each write.
func (m *Manager) TTL() time.Duration { return m.cfg.TTL }

// Acquire takes the lease of room for this node. It returns the lease
// this node already holds, if any. If another node holds the room it
// returns a *TakenError naming the owner (errors.Is(err, ErrTaken)). A
// lease left under this node's own name by an earlier process is taken
// over at once. Other failures wrap ErrUnavailable.
//
// Acquire tries to create the key first, and reads it only when the
// create is refused: one request for a room nobody holds, two for a room
// another node holds. AcquireExisting reads first, for a room expected to
// be held.
func (m *Manager) Acquire(ctx context.Context, room string) (*Lease, error) {
	return m.acquire(ctx, room, false)
}

// AcquireExisting is Acquire for a room that is expected to be held
// already (a client resuming it, a lookup after its owner did not
// answer): it reads the key first, so that a room another node holds
// costs one request instead of two, and creates it only when the read
// finds it absent (two requests then instead of one). The create still
// decides a race: of two nodes that found the key absent, one wins and
// the other is told the winner.
func (m *Manager) AcquireExisting(ctx context.Context, room string) (*Lease, error) {
	return m.acquire(ctx, room, true)
}

// acquire is Acquire, reading the key first if existing.
func (m *Manager) acquire(ctx context.Context, room string, existing bool) (*Lease, error) {
	m.mu.Lock()
	for {
		if m.closed {
			m.mu.Unlock()
			return nil, ErrClosed
		}
		if l, ok := m.leases[room]; ok {
			m.mu.Unlock()
			return l, nil
		}
		wait, busy := m.acquiring[room]
		if !busy {
			break
		}
		m.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		m.mu.Lock()
	}
	mine := make(chan struct{})
	m.acquiring[room] = mine
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.acquiring, room)
		m.mu.Unlock()
		close(mine)
	}()

	key := token.For(room)
	value := []byte(m.cfg.Node)
	rev, started, revived := m.revive(ctx, room)
	var err error
	switch {
	case revived:
	case existing:
		e, gerr := m.kv.Get(ctx, key)
		rev, started, err = m.afterRead(ctx, key, value, e, gerr)
	default:
		started = time.Now()
		rev, err = m.create(ctx, key, value)
		if errors.Is(err, jetstream.ErrKeyExists) {
			e, gerr := m.kv.Get(ctx, key)
			rev, started, err = m.afterRead(ctx, key, value, e, gerr)
		}
	}
	var taken *TakenError
	if errors.As(err, &taken) {
		return nil, err
	}
	if err == nil && !time.Now().Before(started.Add(m.cfg.TTL)) {
		// The write took the whole TTL (a bucket electing its leader, a
		// loaded machine): by this node's clock the lease would be over
		// at once (expireLoop). Write it again, now that the bucket
		// answers; nobody else writes this node's name.
		started = time.Now()
		rev, err = m.kv.Update(ctx, key, value, rev)
		if err == nil && !time.Now().Before(started.Add(m.cfg.TTL)) {
			err = errSlowBucket
		}
	}
	if err != nil {
		return nil, errors.Join(ErrUnavailable, err)
	}
	m.reached()
	l := &Lease{m: m, room: room, key: key, rev: rev, deadline: started.Add(m.cfg.TTL), done: make(chan struct{})}
	m.mu.Lock()
	if m.closed {
		// Unlocked first: ending a lease takes m.mu to forget it.
		m.mu.Unlock()
		l.end(ErrClosed)
		return nil, ErrClosed
	}
	m.leases[room] = l
	m.mu.Unlock()
	return l, nil
}

// afterRead acts on a read of key (e, or the read's error err): a key
// that is absent or deleted is created, one another node holds is
// answered with a *TakenError naming it, and one that is stale or holds
// this node's own name is taken over. It returns the revision written and
// when the write started.
func (m *Manager) afterRead(ctx context.Context, key string, value []byte, e jetstream.KeyValueEntry, err error) (rev uint64, started time.Time, _ error) {
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		// Never written, expired, released or handed over (its delete
		// marker is still there, which KeyValue.Create overwrites), or
		// the winner's write is not readable yet: create it. Of two
		// nodes creating it, or overwriting the same marker, one wins;
		// the loser's write is refused with ErrKeyExists on a single
		// server, and with a raw wrong-last-sequence error (code 10164)
		// on a replicated bucket.
		started = time.Now()
		rev, err = m.kv.Create(ctx, key, value)
		if errors.Is(err, jetstream.ErrKeyExists) || isWrongLastSequence(err) {
			return 0, started, m.taken(ctx, key)
		}
		return rev, started, err
	case err != nil:
		return 0, started, err
	case string(e.Value()) != m.cfg.Node && !m.stale(e):
		return 0, started, &TakenError{Owner: string(e.Value()), Revision: e.Revision()}
	}
	// Our own name from an earlier process of this node, or an owner
	// that has not renewed for TTL: it is dead or paused, and the
	// server's purge of the key may come seconds later. The write expects
	// the revision read, so of two nodes taking a stale lease over one
	// wins, and a renewal by the old owner in between makes ours fail.
	started = time.Now()
	rev, err = m.kv.Update(ctx, key, value, e.Revision())
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || isWrongLastSequence(err) {
		return 0, started, m.taken(ctx, key)
	}
	return rev, started, err
}

// create writes key if the bucket has never held it, or holds no message
// for it any more (expired): one request. jetstream's KeyValue.Create
// reads the key back after every refusal, to overwrite a delete marker,
// so that a node that looks up a room another node owns would read the
// key twice (that read, then Acquire's own). Here a refusal is answered
// ErrKeyExists at once, and Acquire's read of the owner comes next: a
// room held by another node is looked up in two requests. A key that
// this read finds deleted (a released or handed-over lease's marker) is
// created with KeyValue.Create, which tries a create, reads the marker's
// revision and overwrites it: taking a released room costs five
// requests (three before this create was added), a rarer case than
// looking up an owned one.
func (m *Manager) create(ctx context.Context, key string, value []byte) (uint64, error) {
	rev, err := m.kv.Update(ctx, key, value, 0)
	if err != nil && isWrongLastSequence(err) {
		return 0, jetstream.ErrKeyExists
	}
	return rev, err
}

// stale reports whether e, a lease of another node, was last written
// TTL or more ago: its owner's own clock ended it (Valid) by then. The
// bucket's max age removes such a key only when the server gets to it,
// which can be several seconds after TTL; a contender does not wait for
// that.
func (m *Manager) stale(e jetstream.KeyValueEntry) bool {
	return time.Since(e.Created()) >= m.cfg.TTL
}

// taken reads the owner after a lost race. On a replicated bucket the
// winner's write can be refused to others before it is readable, so a
// missing key is read again a few times before giving up.
func (m *Manager) taken(ctx context.Context, key string) error {
	for try := 0; ; try++ {
		e, err := m.kv.Get(ctx, key)
		if err == nil {
			return &TakenError{Owner: string(e.Value()), Revision: e.Revision()}
		}
		if try == takenReads || !errors.Is(err, jetstream.ErrKeyNotFound) {
			return &TakenError{}
		}
		select {
		case <-time.After(takenPause):
		case <-ctx.Done():
			return &TakenError{}
		}
	}
}

// takenReads and takenPause bound how long taken waits for a winner's
// write to become readable.
const (
	takenReads = 10
	takenPause = 10 * time.Millisecond
)

// Owner returns the node holding room's lease and the lease's revision,
// or ErrNoOwner.
func (m *Manager) Owner(ctx context.Context, room string) (node string, revision uint64, err error) {
	e, err := m.kv.Get(ctx, token.For(room))
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return "", 0, ErrNoOwner
	case err != nil:
		return "", 0, errors.Join(ErrUnavailable, err)
	}
	return string(e.Value()), e.Revision(), nil
}

// Held returns this node's lease on room, if it holds one.
func (m *Manager) Held(room string) (*Lease, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.leases[room]
	return l, ok
}

// Count returns the number of leases this manager holds now.
func (m *Manager) Count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.leases)
}

// Lost returns the number of leases that have ended lost so far (ErrLost):
// another node wrote the room's key, or a renewal found it gone.
func (m *Manager) Lost() uint64 { return m.lost.Load() }

func (m *Manager) forget(l *Lease) {
	m.mu.Lock()
	if m.leases[l.room] == l {
		delete(m.leases, l.room)
	}
	m.mu.Unlock()
}

// idleLeft is how far an idle lease's deadline may be when it is renewed
// (Lease.SetIdle): RenewInterval, or TTL/3 if that is more, so that a
// short RenewInterval does not leave an idle lease's renewal a sliver of
// its TTL; and never more than TTL - RenewInterval, so that an idle lease
// is never renewed earlier than a busy one. TTL/3 by default.
func (m *Manager) idleLeft() time.Duration {
	return min(m.cfg.TTL-m.cfg.RenewInterval, max(m.cfg.RenewInterval, m.cfg.TTL/3))
}

// duePass returns the leases due for renewal at now, appended to held,
// nearest deadline first: the renewals of a pass run one after another,
// so an idle lease, renewed with the least time left, is not kept
// waiting behind busy leases whose writes hang until OpTimeout.
func (m *Manager) duePass(now time.Time, held []duePair) []duePair {
	busy, idle := now.Add(m.cfg.TTL-m.cfg.RenewInterval), now.Add(m.idleLeft())
	m.mu.Lock()
	for _, l := range m.leases {
		if ok, deadline := l.due(busy, idle); ok {
			held = append(held, duePair{l, deadline})
		}
	}
	m.mu.Unlock()
	slices.SortFunc(held, func(a, b duePair) int { return a.deadline.Compare(b.deadline) })
	return held
}

// duePair is a lease due for renewal and its deadline when the pass
// began.
type duePair struct {
	l        *Lease
	deadline time.Time
}

// renewChecks is how many times per RenewInterval renewLoop looks for
// leases due for renewal.
const renewChecks = 4

// renewLoop renews each held lease once it is RenewInterval old, looking
// every RenewInterval/renewChecks. Renewing by age rather than all at
// every tick spares the leases of short-lived rooms (a match of a few
// seconds at most, a room that stops once empty) the write they would
// get from a tick that falls just after their creation.
func (m *Manager) renewLoop() {
	expired := make(chan struct{})
	go m.expireLoop(expired)
	defer func() {
		<-expired
		close(m.done)
	}()
	t := time.NewTicker(m.cfg.RenewInterval / renewChecks)
	defer t.Stop()
	var held []duePair
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
		now := time.Now()
		m.pruneLapsed(now)
		// Due: last written RenewInterval ago or more, so its deadline
		// (last write + TTL) is at most TTL - RenewInterval away; an
		// idle lease once its deadline is at most idleLeft away.
		held = m.duePass(now, held[:0])
		start := time.Now()
		for _, d := range held {
			ctx, cancel := context.WithTimeout(context.Background(), m.cfg.OpTimeout)
			err := d.l.Renew(ctx)
			cancel()
			if err != nil && !errors.Is(err, ErrLost) && !errors.Is(err, ErrReleased) && !errors.Is(err, ErrClosed) {
				m.log.Warn("lease: renew failed", zap.String("room", d.l.room), zap.Error(err))
			}
		}
		// Renewals run one after another; a pass longer than an idle
		// lease's margin (idleLeft less a check's wait) means that this
		// node holds more rooms than it can keep renewed, or that the
		// bucket answers slowly: the last leases of a pass may expire
		// before their turn.
		if took := time.Since(start); took > m.idleLeft()-m.cfg.RenewInterval/renewChecks {
			m.log.Warn("lease: renewals fall behind", zap.Int("leases", len(held)), zap.Duration("took", took))
		}
		clear(held)
	}
}

// expireLoop ends as lost, every RenewInterval/renewChecks, each held
// lease whose TTL has run out by this node's clock: its last successful
// write began TTL ago or more, so another node may hold the room by now.
// It does not wait for the lease's turn in a renewal pass, which takes up
// to OpTimeout for each lease before it while the bucket does not answer
// (a stalled stream leader, a half-open route): a lease is over within a
// check of its deadline, and its room with it. A renewal that lands
// after that is ignored; the key then names this node until it expires,
// and this node takes it back if the room is asked for here. It closes
// done when it returns, once the manager stops.
func (m *Manager) expireLoop(done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(m.cfg.RenewInterval / renewChecks)
	defer t.Stop()
	var held []*Lease
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
		m.mu.Lock()
		for _, l := range m.leases {
			held = append(held, l)
		}
		m.mu.Unlock()
		now := time.Now()
		for _, l := range held {
			if l.expired(now) {
				l.lose("expired by this node's clock before a renewal came through")
			}
		}
		clear(held)
		held = held[:0]
	}
}

// Close stops renewing and deletes the keys of the lapsed leases (Lapse)
// that have not expired, so that their rooms can be taken at once. The
// leases still held end with ErrClosed and expire in the bucket after
// TTL; release them first to hand their rooms over at once.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	held := m.leases
	m.leases = make(map[string]*Lease)
	m.mu.Unlock()
	close(m.stop)
	<-m.done
	m.deleteAllLapsed()
	for _, l := range held {
		l.end(ErrClosed)
	}
	return nil
}

// openBucket creates or updates the lease bucket and binds to it. It lays
// the stream out as jetstream's CreateOrUpdateKeyValue does (one value per
// key, max age TTL, deletes as markers), except that direct gets are off:
// with direct gets any replica answers a read, and a follower that lags
// can miss a lease just written, so a loser of a race could not see its
// winner. Without them every read goes to the stream leader, which has
// every acknowledged write.
func openBucket(ctx context.Context, js jetstream.JetStream, cfg Config) (jetstream.KeyValue, error) {
	dup := 2 * time.Minute
	if cfg.TTL < dup {
		dup = cfg.TTL
	}
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:              "KV_" + cfg.Bucket,
		Description:       "Parlor room ownership leases",
		Subjects:          []string{"$KV." + cfg.Bucket + ".>"},
		MaxMsgsPerSubject: 1,
		MaxBytes:          -1,
		MaxAge:            cfg.TTL,
		MaxMsgSize:        -1,
		Storage:           jetstream.FileStorage,
		Replicas:          cfg.Replicas,
		AllowRollup:       true,
		DenyDelete:        true,
		Duplicates:        dup,
		MaxMsgs:           -1,
		MaxConsumers:      -1,
		AllowDirect:       false,
		Discard:           jetstream.DiscardNew,
	})
	if err != nil {
		return nil, err
	}
	return js.KeyValue(ctx, cfg.Bucket)
}
