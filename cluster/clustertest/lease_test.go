package clustertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/parlorhq/parlor/cluster"
	"github.com/parlorhq/parlor/cluster/lease"
	"github.com/parlorhq/parlor/internal/wstest"
)

// newManager opens a lease manager for node on nc, retrying while a fresh
// JetStream cluster elects its leader.
func newManager(t *testing.T, nc *nats.Conn, cfg lease.Config) *lease.Manager {
	t.Helper()
	var m *lease.Manager
	eventually(t, "lease bucket", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var err error
		m, err = lease.NewManager(ctx, nc, cfg)
		return err == nil
	})
	t.Cleanup(func() { m.Close() })
	return m
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// checkRace has a and b acquire rooms prefix0, prefix1... at once and checks that
// exactly one wins each, that the loser is told the winner, and that both
// see the winner as the owner.
func checkRace(t *testing.T, a, b *lease.Manager, prefix string, rooms int) {
	t.Helper()
	checkRaceBy(t, a, b, prefix, rooms, (*lease.Manager).Acquire)
}

// checkRaceBy is checkRace with the nodes acquiring by acquire.
func checkRaceBy(t *testing.T, a, b *lease.Manager, prefix string, rooms int,
	acquire func(*lease.Manager, context.Context, string) (*lease.Lease, error)) {
	t.Helper()
	ctx := ctxT(t)
	for i := range rooms {
		room := fmt.Sprint(prefix, i)
		var (
			wg     sync.WaitGroup
			leases [2]*lease.Lease
			errs   [2]error
		)
		for j, m := range []*lease.Manager{a, b} {
			wg.Go(func() { leases[j], errs[j] = acquire(m, ctx, room) })
		}
		wg.Wait()
		won := -1
		for j := range 2 {
			if errs[j] == nil {
				if won >= 0 {
					t.Fatalf("%s: both nodes acquired", room)
				}
				won = j
			} else if !errors.Is(errs[j], lease.ErrTaken) {
				t.Fatalf("%s: Acquire: %v", room, errs[j])
			}
		}
		if won < 0 {
			t.Fatalf("%s: no node acquired: %v, %v", room, errs[0], errs[1])
		}
		winner := []*lease.Manager{a, b}[won].Node()
		var te *lease.TakenError
		if !errors.As(errs[1-won], &te) || te.Owner != winner {
			t.Errorf("%s: loser told %v, want owner %s", room, errs[1-won], winner)
		}
		for _, m := range []*lease.Manager{a, b} {
			if owner, rev, err := m.Owner(ctx, room); err != nil || owner != winner || rev != leases[won].Revision() {
				t.Errorf("%s: Owner from %s = %q, %d, %v; want %s, %d", room, m.Node(), owner, rev, err, winner, leases[won].Revision())
			}
		}
	}
}

// TestLeaseRace: two nodes race for the same rooms; exactly one owns each.
func TestLeaseRace(t *testing.T) {
	s := StartServer(t)
	a := newManager(t, dial(t, "a", s.URL()), lease.Config{Node: "a"})
	b := newManager(t, dial(t, "b", s.URL()), lease.Config{Node: "b"})
	checkRace(t, a, b, "race", 20)
	if _, _, err := a.Owner(ctxT(t), "nobody"); !errors.Is(err, lease.ErrNoOwner) {
		t.Errorf("Owner of a free room = %v, want ErrNoOwner", err)
	}
	// Acquire of a room already held returns the same lease.
	l1, err := a.Acquire(ctxT(t), "mine")
	if err != nil {
		t.Fatal(err)
	}
	if l2, err := a.Acquire(ctxT(t), "mine"); err != nil || l2 != l1 {
		t.Errorf("second Acquire = %p, %v; want the held lease %p", l2, err, l1)
	}
	// Concurrent Acquires of one room on one node end with one lease, held
	// and valid, not one replacing the other.
	const n = 8
	got := make(chan *lease.Lease, n)
	for range n {
		go func() {
			l, err := a.Acquire(ctxT(t), "together")
			if err != nil {
				t.Errorf("concurrent Acquire: %v", err)
			}
			got <- l
		}()
	}
	var first *lease.Lease
	for range n {
		l := <-got
		if first == nil {
			first = l
		} else if l != first {
			t.Fatalf("concurrent Acquires returned two leases %p and %p", first, l)
		}
	}
	if first == nil || !first.Valid() {
		t.Fatalf("the lease of concurrent Acquires is not valid")
	}
}

// TestLeaseAcquireExisting: AcquireExisting, for a room expected to be
// held, reads the key first: a room another node holds costs one request
// to the bucket (a read, no write), where Acquire's create first costs a
// refused write and a read. A room nobody holds is created after the
// read; of two nodes racing for it, one wins and the other is told the
// winner, as with Acquire, also for released rooms (delete markers) and a
// stale key. Both look the same in the bucket afterwards.
func TestLeaseAcquireExisting(t *testing.T) {
	s := StartServer(t)
	spy := dial(t, "spy", s.URL())
	reads := countMsgs(t, spy, "$JS.API.STREAM.MSG.GET.>")
	writes := countMsgs(t, spy, "$KV."+lease.DefaultBucket+".>")
	const ttl = time.Second
	ncA, ncB := dial(t, "a", s.URL()), dial(t, "b", s.URL())
	a := newManager(t, ncA, lease.Config{Node: "a", TTL: ttl, RenewInterval: -1})
	b := newManager(t, ncB, lease.Config{Node: "b", TTL: ttl, RenewInterval: -1})
	ctx := ctxT(t)
	la, err := a.Acquire(ctx, "room")
	if err != nil {
		t.Fatal(err)
	}
	r0, w0 := reads.count(t, ncA, ncB), writes.count(t)
	_, err = b.AcquireExisting(ctx, "room")
	var te *lease.TakenError
	if !errors.As(err, &te) || te.Owner != "a" || te.Revision != la.Revision() {
		t.Fatalf("AcquireExisting of a's room = %v, want taken by a at %d", err, la.Revision())
	}
	if r, w := reads.count(t, ncB)-r0, writes.count(t)-w0; r != 1 || w != 0 {
		t.Errorf("AcquireExisting of a held room: %d reads and %d writes, want 1 and 0", r, w)
	}
	r0, w0 = reads.count(t), writes.count(t)
	if _, err := b.Acquire(ctx, "room"); !errors.As(err, &te) || te.Owner != "a" {
		t.Fatalf("Acquire of a's room = %v, want taken by a", err)
	}
	if r, w := reads.count(t, ncB)-r0, writes.count(t)-w0; r != 1 || w != 1 {
		t.Errorf("Acquire of a held room: %d reads and %d writes, want 1 and 1 (a refused create)", r, w)
	}

	// Free rooms, released rooms, and a stale key.
	checkRaceBy(t, a, b, "existing", 10, (*lease.Manager).AcquireExisting)
	for i := range 10 {
		room := fmt.Sprint("existing", i)
		for _, m := range []*lease.Manager{a, b} {
			if l, ok := m.Held(room); ok {
				if err := l.Release(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	checkRaceBy(t, a, b, "existing", 10, (*lease.Manager).AcquireExisting)
	time.Sleep(ttl) // a stops renewing "room": stale
	lb, err := b.AcquireExisting(ctx, "room")
	if err != nil {
		t.Fatalf("AcquireExisting of a stale lease: %v", err)
	}
	if owner, rev, err := a.Owner(ctx, "room"); err != nil || owner != "b" || rev != lb.Revision() {
		t.Fatalf("Owner after the takeover = %q, %d, %v; want b, %d", owner, rev, err, lb.Revision())
	}
}

// TestLeaseRaceReleasedReplicated: on a bucket of three replicas, two
// nodes race for rooms whose leases a third node took and released (a
// delete marker under each key, which both overwrite): exactly one wins
// each, and the loser is told the winner (a TakenError), never
// ErrUnavailable, although a replicated stream refuses the loser's write
// with another error code than a single server.
func TestLeaseRaceReleasedReplicated(t *testing.T) {
	servers := StartCluster(t, 3)
	// A long TTL: a lease's write slowed past the TTL by a loaded machine
	// ends the lease by its node's clock, and its release would fail.
	cfg := func(node string) lease.Config { return lease.Config{Node: node, Replicas: 3, TTL: 10 * time.Second} }
	a := newManager(t, dial(t, "a", servers[0].URL()), cfg("a"))
	b := newManager(t, dial(t, "b", servers[1].URL()), cfg("b"))
	c := newManager(t, dial(t, "c", servers[2].URL()), cfg("c"))
	const rooms = 30
	for i := range rooms {
		l, err := c.Acquire(ctxT(t), fmt.Sprint("released", i))
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Release(ctxT(t)); err != nil {
			t.Fatal(err)
		}
	}
	checkRace(t, a, b, "released", rooms)
}

// TestLeasePausedOwner: an owner that stops renewing (as a paused process
// would) loses the room after TTL to another node; when it resumes its
// renewal fails, it reports the loss, and its release cannot delete the
// new owner's lease.
func TestLeasePausedOwner(t *testing.T) {
	s := StartServer(t)
	const ttl = time.Second
	lost := make(chan *lease.Lease, 1)
	paused := newManager(t, dial(t, "a", s.URL()), lease.Config{
		Node: "a", TTL: ttl, RenewInterval: -1,
		OnLost: func(l *lease.Lease) { lost <- l },
	})
	other := newManager(t, dial(t, "b", s.URL()), lease.Config{Node: "b", TTL: ttl})
	ctx := ctxT(t)
	la, err := paused.Acquire(ctx, "room")
	if err != nil {
		t.Fatal(err)
	}
	if err := la.Renew(ctx); err != nil {
		t.Fatalf("Renew of a fresh lease: %v", err)
	}
	if _, err := other.Acquire(ctx, "room"); !errors.Is(err, lease.ErrTaken) {
		t.Fatalf("Acquire of a held room = %v, want ErrTaken", err)
	}
	if n, lostN := paused.Count(), paused.Lost(); n != 1 || lostN != 0 {
		t.Fatalf("holding the room: %d leases, %d lost; want 1, 0", n, lostN)
	}

	var lb *lease.Lease
	eventually(t, "takeover after TTL", func() bool {
		lb, err = other.Acquire(ctx, "room")
		return err == nil
	})
	if la.Valid() {
		t.Error("the paused lease is still valid by its own clock after the takeover")
	}
	if err := la.Renew(ctx); !errors.Is(err, lease.ErrLost) {
		t.Fatalf("Renew after takeover = %v, want ErrLost", err)
	}
	select {
	case <-la.Done():
	default:
		t.Fatal("Done not closed after the loss")
	}
	if got := <-lost; got != la || !errors.Is(la.Err(), lease.ErrLost) {
		t.Errorf("OnLost got %p with Err %v, want %p with ErrLost", got, la.Err(), la)
	}
	if _, held := paused.Held("room"); held {
		t.Error("the lost lease is still listed as held")
	}
	if n, lostN := paused.Count(), paused.Lost(); n != 0 || lostN != 1 {
		t.Errorf("after the loss: %d leases, %d lost; want 0, 1", n, lostN)
	}
	if err := la.Release(ctx); !errors.Is(err, lease.ErrLost) {
		t.Errorf("Release of a lost lease = %v, want ErrLost", err)
	}
	// The new owner is untouched and keeps the room by renewing.
	time.Sleep(2 * ttl)
	if owner, _, err := paused.Owner(ctx, "room"); err != nil || owner != "b" {
		t.Errorf("Owner = %q, %v; want b", owner, err)
	}
	if lb.Err() != nil || !lb.Valid() {
		t.Errorf("new owner's lease: Err %v, Valid %v", lb.Err(), lb.Valid())
	}
}

// TestLeaseRenewKeeps: an owner that renews keeps the room well past TTL.
func TestLeaseRenewKeeps(t *testing.T) {
	s := StartServer(t)
	const ttl = 600 * time.Millisecond
	a := newManager(t, dial(t, "a", s.URL()), lease.Config{Node: "a", TTL: ttl})
	b := newManager(t, dial(t, "b", s.URL()), lease.Config{Node: "b", TTL: ttl})
	ctx := ctxT(t)
	la, err := a.Acquire(ctx, "room")
	if err != nil {
		t.Fatal(err)
	}
	first := la.Revision()
	for range 6 {
		time.Sleep(ttl / 2)
		if _, err := b.Acquire(ctx, "room"); !errors.Is(err, lease.ErrTaken) {
			t.Fatalf("Acquire of a renewed room = %v, want ErrTaken", err)
		}
	}
	if la.Revision() <= first || la.Err() != nil {
		t.Errorf("revision %d after renewals (first %d), Err %v", la.Revision(), first, la.Err())
	}
}

// TestLeaseRenewedByAge: the manager renews each lease when it is
// RenewInterval old, not every lease at each tick: a lease taken between
// two renewals of another is not rewritten with it, so a room that runs
// for less than RenewInterval costs one write.
func TestLeaseRenewedByAge(t *testing.T) {
	s := StartServer(t)
	const every = time.Second
	a := newManager(t, dial(t, "a", s.URL()), lease.Config{Node: "a", TTL: 3 * every, RenewInterval: every})
	ctx := ctxT(t)
	old, err := a.Acquire(ctx, "old")
	if err != nil {
		t.Fatal(err)
	}
	oldRev := old.Revision()
	time.Sleep(every * 6 / 10)
	young, err := a.Acquire(ctx, "young")
	if err != nil {
		t.Fatal(err)
	}
	youngRev := young.Revision()
	eventually(t, "the first lease renewed", func() bool { return old.Revision() != oldRev })
	// The first lease is about every old now, the second about 0.4
	// every: a renewal of both at one tick would have rewritten it.
	if got := young.Revision(); got != youngRev {
		t.Fatalf("the lease taken %v after the other was renewed with it (revision %d, then %d)", every*6/10, youngRev, got)
	}
	eventually(t, "the second lease renewed", func() bool { return young.Revision() != youngRev })
	if old.Err() != nil || young.Err() != nil {
		t.Fatalf("leases ended: %v, %v", old.Err(), young.Err())
	}
}

// TestLeaseLapse: a lapsed lease ends on its node without a write; its
// key keeps naming the node, which takes the room back with one write, or
// hands it over on request (Handover), or at Close.
func TestLeaseLapse(t *testing.T) {
	s := StartServer(t)
	a := newManager(t, dial(t, "a", s.URL()), lease.Config{Node: "a"})
	b := newManager(t, dial(t, "b", s.URL()), lease.Config{Node: "b"})
	ctx := ctxT(t)
	l, err := a.Acquire(ctx, "room")
	if err != nil {
		t.Fatal(err)
	}
	rev := l.Revision()
	l.Lapse()
	select {
	case <-l.Done():
	default:
		t.Fatal("a lapsed lease is not done")
	}
	if !errors.Is(l.Err(), lease.ErrReleased) {
		t.Fatalf("Err of a lapsed lease = %v, want ErrReleased", l.Err())
	}
	if owner, r, err := a.Owner(ctx, "room"); err != nil || owner != "a" || r != rev {
		t.Fatalf("Owner after Lapse = %q, %d, %v; want a, %d (no write)", owner, r, err, rev)
	}
	if _, err := b.Acquire(ctx, "room"); !errors.Is(err, lease.ErrTaken) {
		t.Fatalf("b's Acquire of a lapsed lease = %v, want ErrTaken", err)
	}

	// Back on a: one write, the revision after the lapsed one.
	l, err = a.Acquire(ctx, "room")
	if err != nil {
		t.Fatal(err)
	}
	if l.Revision() != rev+1 {
		t.Fatalf("revision %d after taking a lapsed lease back, want %d (one write)", l.Revision(), rev+1)
	}

	// Handed over on request.
	l.Lapse()
	if b.Handover(ctx, "room") {
		t.Fatal("b handed over a lease it never held")
	}
	if !a.Handover(ctx, "room") {
		t.Fatal("a did not hand its lapsed lease over")
	}
	if a.Handover(ctx, "room") {
		t.Fatal("a handed the same lease over twice")
	}
	lb, err := b.Acquire(ctx, "room")
	if err != nil {
		t.Fatalf("b's Acquire after the handover: %v", err)
	}
	lb.Lapse()

	// Handed over at Close.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Acquire(ctx, "room"); err != nil {
		t.Fatalf("a's Acquire after b closed with the lease lapsed: %v", err)
	}
}

// TestLeaseRelease: a released room can be taken by another node at once.
func TestLeaseRelease(t *testing.T) {
	s := StartServer(t)
	a := newManager(t, dial(t, "a", s.URL()), lease.Config{Node: "a", TTL: time.Minute})
	b := newManager(t, dial(t, "b", s.URL()), lease.Config{Node: "b", TTL: time.Minute})
	ctx := ctxT(t)
	la, err := a.Acquire(ctx, "room")
	if err != nil {
		t.Fatal(err)
	}
	if err := la.Release(ctx); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if !errors.Is(la.Err(), lease.ErrReleased) {
		t.Errorf("Err after Release = %v", la.Err())
	}
	lb, err := b.Acquire(ctx, "room")
	if err != nil {
		t.Fatalf("Acquire right after Release: %v", err)
	}
	if lb.Revision() <= la.Revision() {
		t.Errorf("new revision %d not above the released %d", lb.Revision(), la.Revision())
	}
	if err := la.Release(ctx); err != nil {
		t.Errorf("second Release = %v, want nil", err)
	}
	if owner, _, _ := a.Owner(ctx, "room"); owner != "b" {
		t.Errorf("owner after a's second Release = %q, want b", owner)
	}
}

// TestLeaseRestartedNode: a node that comes back under the same name takes
// its earlier process's lease over at once.
func TestLeaseRestartedNode(t *testing.T) {
	s := StartServer(t)
	old := newManager(t, dial(t, "a", s.URL()), lease.Config{Node: "a", TTL: time.Minute})
	ctx := ctxT(t)
	lo, err := old.Acquire(ctx, "room")
	if err != nil {
		t.Fatal(err)
	}
	old.Close()
	if !errors.Is(lo.Err(), lease.ErrClosed) {
		t.Errorf("Err after Close = %v", lo.Err())
	}
	again := newManager(t, dial(t, "a2", s.URL()), lease.Config{Node: "a", TTL: time.Minute})
	ln, err := again.Acquire(ctx, "room")
	if err != nil {
		t.Fatalf("Acquire by the restarted node: %v", err)
	}
	if ln.Revision() <= lo.Revision() {
		t.Errorf("revision %d not above %d", ln.Revision(), lo.Revision())
	}
}

// TestLeaseServerDown: while NATS is down Renew fails as unavailable and
// the lease stays held until its TTL runs out by the node's clock; then it
// is lost.
func TestLeaseServerDown(t *testing.T) {
	s := StartServer(t)
	const ttl = time.Second
	nc := dial(t, "a", s.URL())
	m := newManager(t, nc, lease.Config{Node: "a", TTL: ttl, RenewInterval: -1})
	ctx := ctxT(t)
	l, err := m.Acquire(ctx, "room")
	if err != nil {
		t.Fatal(err)
	}
	s.Stop()
	eventually(t, "disconnect", func() bool { return !nc.IsConnected() })
	rctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	err = l.Renew(rctx)
	cancel()
	if l.Valid() && !errors.Is(err, lease.ErrUnavailable) {
		t.Fatalf("Renew while down, before TTL = %v, want ErrUnavailable", err)
	}
	eventually(t, "local expiry", func() bool { return !l.Valid() })
	rctx, cancel = context.WithTimeout(ctx, 200*time.Millisecond)
	err = l.Renew(rctx)
	cancel()
	if !errors.Is(err, lease.ErrLost) {
		t.Errorf("Renew while down, after TTL = %v, want ErrLost", err)
	}
}

// TestLeaseAcquireWhileClosing: acquisitions under way when the manager
// closes end with ErrClosed or a lease that Close ends, and neither they
// nor Close hang.
func TestLeaseAcquireWhileClosing(t *testing.T) {
	s := StartServer(t)
	for round := range 5 {
		m := newManager(t, dial(t, "a", s.URL()), lease.Config{Node: "a"})
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for i := range 64 {
			wg.Go(func() {
				l, err := m.Acquire(context.Background(), fmt.Sprintf("room-%d-%d", round, i))
				if err == nil {
					<-l.Done() // Close ends every lease it holds
					err = l.Err()
				}
				errs <- err
			})
		}
		time.Sleep(time.Duration(round) * time.Millisecond)
		closed := make(chan struct{})
		go func() {
			m.Close()
			close(closed)
		}()
		done := make(chan struct{})
		go func() {
			wg.Wait()
			<-closed
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: acquisitions or Close still running 10 s after Close", round)
		}
		close(errs)
		for err := range errs {
			if !errors.Is(err, lease.ErrClosed) {
				t.Fatalf("round %d: an acquisition ended with %v, want ErrClosed", round, err)
			}
		}
	}
}

// dialThrough connects node to the NATS server at addr through a proxy
// that the test can freeze, with pings rare enough that a frozen link is
// not noticed: a stalled stream leader, or a half-open route.
func dialThrough(t *testing.T, node, addr string) (*nats.Conn, *wstest.Proxy) {
	t.Helper()
	link := wstest.StartProxy(t, addr)
	nc, err := cluster.Dial(cluster.DialConfig{URL: "nats://" + link.Addr(), Node: node, PingInterval: time.Minute})
	if err != nil {
		t.Fatalf("dial %s: %v", node, err)
	}
	t.Cleanup(nc.Close)
	return nc, link
}

// TestLeaseExpiresWhileBucketSilent: while the bucket does not answer
// and the connection stays up, every lease ends within a check of its
// TTL by this node's clock, not when its turn in a renewal pass comes,
// one OpTimeout after each lease before it.
func TestLeaseExpiresWhileBucketSilent(t *testing.T) {
	s := StartServer(t)
	nc, link := dialThrough(t, "a", s.Addr().String())
	const ttl = 2 * time.Second
	m := newManager(t, nc, lease.Config{Node: "a", TTL: ttl})
	var ls []*lease.Lease
	for i := range 8 {
		l, err := m.Acquire(ctxT(t), fmt.Sprint("room-", i))
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	link.Freeze() // the renewals reach the server; no answer comes back
	var wg sync.WaitGroup
	late := make([]time.Duration, len(ls))
	for i, l := range ls {
		wg.Go(func() {
			deadline := time.Now().Add(3 * ttl)
			for l.Valid() && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			expired := time.Now()
			select {
			case <-l.Done():
				late[i] = time.Since(expired)
			case <-time.After(5 * ttl):
				late[i] = -1
			}
		})
	}
	wg.Wait()
	for i, l := range ls {
		if late[i] < 0 || late[i] > ttl/2 {
			t.Errorf("%s ended %v after its TTL ran out by this node's clock (-1: not at all), want within %v", l.Room(), late[i], ttl/2)
		}
		if !errors.Is(l.Err(), lease.ErrLost) {
			t.Errorf("%s ended with %v, want ErrLost", l.Room(), l.Err())
		}
	}
}

// TestLeaseRenewalAnsweredLate: a renewal the bucket applied but answered
// after the renewal's wait leaves the key at a revision the lease never
// learnt. The next renewal, refused for its revision, finds this node's
// name at a later revision and writes again from there: nobody else
// wrote the key, and the lease is kept.
func TestLeaseRenewalAnsweredLate(t *testing.T) {
	s := StartServer(t)
	nc, link := dialThrough(t, "a", s.Addr().String())
	m := newManager(t, nc, lease.Config{Node: "a", TTL: 5 * time.Second, RenewInterval: -1})
	l, err := m.Acquire(ctxT(t), "room")
	if err != nil {
		t.Fatal(err)
	}
	before := l.Revision()
	link.Freeze()
	rctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	err = l.Renew(rctx)
	cancel()
	if !errors.Is(err, lease.ErrUnavailable) {
		t.Fatalf("renewal with its answer held: %v, want ErrUnavailable", err)
	}
	link.Thaw()
	owner, rev, err := m.Owner(ctxT(t), "room")
	if err != nil || owner != "a" || rev <= before {
		t.Fatalf("the bucket has %q at revision %d (%v); want a past %d: the held renewal was applied", owner, rev, err, before)
	}
	if err := l.Renew(ctxT(t)); err != nil {
		t.Fatalf("the next renewal: %v, want the lease kept", err)
	}
	if got := l.Revision(); got <= rev {
		t.Fatalf("lease at revision %d after the renewal, want past the bucket's %d", got, rev)
	}
	if owner, now, err := m.Owner(ctxT(t), "room"); err != nil || owner != "a" || now != l.Revision() {
		t.Fatalf("the bucket has %q at revision %d (%v), want a at the lease's %d", owner, now, err, l.Revision())
	}
}

// TestLeaseCloseWhileBucketSilent: Close deletes the keys of the lapsed
// leases not yet expired, one after another, each waiting up to OpTimeout
// while the bucket does not answer; the keys that expire meanwhile are
// skipped, so Close takes the TTL and an OpTimeout at most, not an
// OpTimeout for each.
func TestLeaseCloseWhileBucketSilent(t *testing.T) {
	s := StartServer(t)
	nc, link := dialThrough(t, "a", s.Addr().String())
	const ttl = 2 * time.Second
	m, err := lease.NewManager(ctxT(t), nc, lease.Config{Node: "a", TTL: ttl, RenewInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		l, err := m.Acquire(ctxT(t), fmt.Sprint("room-", i))
		if err != nil {
			t.Fatal(err)
		}
		l.Lapse()
	}
	link.Freeze()
	start := time.Now()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	// Without the skip: 8 deletes of an OpTimeout (1 s) each.
	if took := time.Since(start); took > 2*ttl {
		t.Fatalf("Close took %v with 8 lapsed leases and the bucket silent, want at most %v (the TTL and an OpTimeout, with room)", took, 2*ttl)
	}
}

// TestLeaseSlowWriteWrittenAgain: a lease whose write was answered after
// its TTL would be over by this node's clock as soon as it was taken, and
// its room stopped at once. Acquire writes it again once the bucket
// answers, and returns a lease that is valid.
func TestLeaseSlowWriteWrittenAgain(t *testing.T) {
	s := StartServer(t)
	nc, link := dialThrough(t, "a", s.Addr().String())
	const ttl = time.Second
	m := newManager(t, nc, lease.Config{Node: "a", TTL: ttl})
	link.Freeze() // the create reaches the server; its answer waits
	type result struct {
		l   *lease.Lease
		err error
	}
	got := make(chan result, 1)
	go func() {
		l, err := m.Acquire(ctxT(t), "room")
		got <- result{l, err}
	}()
	time.Sleep(ttl + 200*time.Millisecond)
	link.Thaw()
	r := <-got
	if r.err != nil {
		t.Fatalf("Acquire answered after the TTL: %v", r.err)
	}
	if !r.l.Valid() {
		t.Fatal("Acquire returned a lease already over by this node's clock")
	}
	if owner, rev, err := m.Owner(ctxT(t), "room"); err != nil || owner != "a" || rev != r.l.Revision() {
		t.Fatalf("the bucket has %q at revision %d (%v), want a at the lease's %d", owner, rev, err, r.l.Revision())
	}
}
