package engine

import (
	"context"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/room"
)

// After a silence, a membership its owner still holds stays: no leave
// forwarded, no close, and the session keeps the membership. One the
// owner does not hold moves as before (TestResurfacedLeavesRemoteRoomsOnce
// and TestResurfacedClosesOtherClients cover an owner that does not
// answer).
func TestResurfacedKeepsHeldMemberships(t *testing.T) {
	for _, inPlace := range []bool{true, false} {
		core, logs := observer.New(zapcore.InfoLevel)
		env := newPingEnv(t, !inPlace, func(c *Config) { c.Logger = zap.New(core) })
		s := env.s
		if inPlace {
			s.connFlags.Store(connFlagConnected | connFlagRoomMoves)
		}
		var asked []*ClusterCheck
		gc := &gapCluster{leaves: make(chan *ClusterLeave, 1), check: func(owner string, ck *ClusterCheck) ([]int, error) {
			asked = append(asked, ck)
			if owner != "owner" || len(ck.Members) != 1 {
				return nil, nil
			}
			return []int{0}, nil
		}}
		rr := inRemoteRoom(env, gc, &remoteHandle{})
		rr.deliver(appendEnvelope(nil, envAttach, s.id, nil))
		env.e.resurfaced(time.Time{})
		if len(asked) != 1 || asked[0].Node != "member" || asked[0].Members[0] != (ClusterMember{Room: "room", Session: s.id}) {
			t.Fatalf("checks %+v", asked)
		}
		select {
		case l := <-gc.leaves:
			t.Fatalf("in place %v: a held membership left: %+v", inPlace, l)
		default:
		}
		if c := s.closeSent.Load(); c != 0 {
			t.Fatalf("in place %v: closed with %d", inPlace, c)
		}
		s.roomsMu.Lock()
		_, still := s.remote["room"]
		s.roomsMu.Unlock()
		if !still {
			t.Fatalf("in place %v: the membership ended", inPlace)
		}
		checked := logs.FilterMessage("cluster: memberships checked after a silence").All()
		want := map[string]any{"memberships": int64(1), "owners": int64(1), "held": int64(1), "moved": int64(0)}
		if len(checked) != 1 || !maps.Equal(checked[0].ContextMap(), want) {
			t.Fatalf("in place %v: logged %+v, want one entry with %v", inPlace, checked, want)
		}
	}
}

// The owner's side of a check: a membership is held while the remote
// session is in the room, which runs here, from the node asking; none is
// held for a node believed gone lately, or while this node shuts down; a
// room that stops does not keep the others from being looked at; and
// the checks answered at once are bounded.
func TestHeldMembers(t *testing.T) {
	e, r, _ := ownerWithRemoteMember(t)
	ctx := context.Background()
	r2, err := e.roomFor("room2", echo.Kind, e.module(echo.Kind), "u")
	if err != nil {
		t.Fatal(err)
	}
	j2 := &ClusterJoin{Room: "room2", Kind: echo.Kind, User: "u", Session: "sid", Node: "member"}
	if err := r2.JoinFrom(ctx, e.remoteSessionFor(j2), 1, nil, "", 0); err != nil {
		t.Fatal(err)
	}
	check := func(node string, ms ...ClusterMember) ([]int, error) {
		t.Helper()
		type answer struct {
			held []int
			err  error
		}
		got := make(chan answer, 1)
		clusterSide{e}.Check(&ClusterCheck{Node: node, Members: ms}, func(held []int, err error) { got <- answer{held, err} })
		select {
		case a := <-got:
			return a.held, a.err
		case <-time.After(5 * time.Second):
			t.Fatal("Check not answered")
			return nil, nil
		}
	}
	mustHold := func(want []int, node string, ms ...ClusterMember) {
		t.Helper()
		held, err := check(node, ms...)
		if err != nil || !slices.Equal(held, want) {
			t.Fatalf("node %s, %v: held %v, %v; want %v", node, ms, held, err, want)
		}
	}
	in1 := ClusterMember{Room: "room", Session: "sid"}
	in2 := ClusterMember{Room: "room2", Session: "sid"}
	mustHold([]int{0, 2, 4}, "member", in1, ClusterMember{Room: "room", Session: "other"}, in2, ClusterMember{Room: "gone", Session: "sid"}, in1)
	mustHold(nil, "elsewhere", in1)

	e.judged.note("member")
	mustHold(nil, "member", in1, in2)
	e.judged = judgedNodes{}

	// A room that stopped but is still listed answers ErrClosed to the
	// look: its memberships are not held, the next room's are.
	r.Drain()
	<-r.Done()
	e.rooms.update("room", func(m map[string]*room.Room) { m["room"] = r })
	mustHold([]int{1}, "member", in1, in2)

	if _, err := check("member", make([]ClusterMember, maxCheckMembers+1)...); err != ErrBadForward {
		t.Fatalf("too many members: %v", err)
	}
	// Past maxConcurrentChecks a check waits for a turn as long as its
	// asker waits: it gets one when a check ends, and is refused if none
	// comes in time.
	for range maxConcurrentChecks {
		e.checkSlots <- struct{}{}
	}
	got := make(chan error, 1)
	clusterSide{e}.Check(&ClusterCheck{Node: "member", Members: []ClusterMember{in2}, Wait: 50 * time.Millisecond}, func(_ []int, err error) { got <- err })
	if err := <-got; err != errTooManyChecks {
		t.Fatalf("past maxConcurrentChecks: %v", err)
	}
	waited := make(chan []int, 1)
	clusterSide{e}.Check(&ClusterCheck{Node: "member", Members: []ClusterMember{in2}, Wait: 5 * time.Second}, func(held []int, _ error) { waited <- held })
	time.Sleep(20 * time.Millisecond)
	<-e.checkSlots // a check ends
	if held := <-waited; !slices.Equal(held, []int{0}) {
		t.Fatalf("a check that waited for its turn: held %v", held)
	}
	for range maxConcurrentChecks - 1 {
		<-e.checkSlots
	}
	mustHold([]int{0}, "member", in2)
	e.shutting.Store(true)
	mustHold(nil, "member", in2)
	e.shutting.Store(false)
	mustHold([]int{0}, "member", in2)

	rs, _ := e.remoteSessions.load(remoteKey("room2", "sid"))
	r2.Disconnect(rs)
	mustHold(nil, "member", in2)
}

// Each owner's answer is acted on as it comes: a membership that one
// owner does not hold moves while another owner has not answered yet.
func TestResurfacedActsOnEachAnswer(t *testing.T) {
	env := newPingEnv(t, false)
	s := env.s
	s.connFlags.Store(connFlagConnected | connFlagRoomMoves)
	release := make(chan struct{})
	gc := &gapCluster{leaves: make(chan *ClusterLeave, 2), check: func(owner string, ck *ClusterCheck) ([]int, error) {
		if owner == "slow" {
			<-release
		}
		return nil, nil
	}}
	inRemoteRoom(env, gc, &remoteHandle{})
	rr2 := env.e.enterRemote("room2", s)
	s.roomsMu.Lock()
	s.remote["room2"] = &remoteHandle{rr: rr2, owner: "slow"}
	s.roomsMu.Unlock()
	done := make(chan struct{})
	go func() {
		env.e.resurfaced(time.Time{})
		close(done)
	}()
	wantLeave := func(room, what string) {
		t.Helper()
		select {
		case l := <-gc.leaves:
			if l.Room != room {
				t.Fatalf("left %s, want %s", l.Room, room)
			}
		case <-time.After(5 * time.Second):
			t.Fatal(what)
		}
	}
	wantLeave("room", "the membership of the owner that answered did not move while the other owner had not answered")
	close(release)
	wantLeave("room2", "the slow owner's membership did not move")
	<-done
}

// resurfacingCluster is a gapCluster whose Resurfaced signal the test
// gives (fire), as cluster.Node does: the channel is closed and a new one
// waits for the next signal.
type resurfacingCluster struct {
	*gapCluster
	mu    sync.Mutex
	ch    chan struct{}
	taken chan struct{} // gets a value each time Resurfaced is called
}

func (c *resurfacingCluster) Resurfaced() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case c.taken <- struct{}{}:
	default:
	}
	return c.ch
}

func (c *resurfacingCluster) fire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	close(c.ch)
	c.ch = make(chan struct{})
}

// A silence that ends while the node acts on the one before is acted on
// too: the node checks its memberships again.
func TestResurfacedDuringResurfaced(t *testing.T) {
	env := newPingEnv(t, false)
	checks := make(chan time.Time)
	gc := &gapCluster{leaves: make(chan *ClusterLeave, 1), check: func(owner string, ck *ClusterCheck) ([]int, error) {
		checks <- ck.Since
		<-checks
		return []int{0}, nil // held: the membership stays for the next check
	}}
	gc.since = time.Unix(1000, 0)
	inRemoteRoom(env, gc, &remoteHandle{})
	rc := &resurfacingCluster{gapCluster: gc, ch: make(chan struct{}), taken: make(chan struct{}, 1)}
	env.e.cluster = rc
	env.e.wg.Add(1)
	go env.e.watchResurfaced()
	<-rc.taken // the watcher waits for the first signal
	waitCheck := func(what string) {
		t.Helper()
		select {
		case since := <-checks:
			if !since.Equal(gc.since) {
				t.Errorf("the check after the %s silence was given since %v, want SilenceStart's %v", what, since, gc.since)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no check after the %s silence", what)
		}
	}
	rc.fire()
	waitCheck("first")
	rc.fire() // the second silence ends while the first check waits
	checks <- time.Time{}
	waitCheck("second")
	checks <- time.Time{}
}

// A membership that ended while its owner was asked about it (the
// session left the room, or joined it again) closes no session.
func TestMoveUnheldEndedMeanwhile(t *testing.T) {
	env := newPingEnv(t, true)
	gc := &gapCluster{leaves: make(chan *ClusterLeave, 1)}
	h := &remoteHandle{}
	inRemoteRoom(env, gc, h)
	env.s.roomsMu.Lock()
	env.s.remote["room"] = &remoteHandle{rr: h.rr, owner: "owner"} // joined again
	env.s.roomsMu.Unlock()
	if n := env.e.moveUnheld([]membership{{env.s, h}}, []bool{false}); n != 0 {
		t.Fatalf("moved %d memberships that ended", n)
	}
	if c := env.s.closeSent.Load(); c != 0 {
		t.Fatalf("closed with %d for a membership that ended", c)
	}
	// A session that moves in place neither leaves nor forgets the
	// room's new stall for the membership that ended.
	env.s.connFlags.Store(connFlagConnected | connFlagRoomMoves)
	st := &env.e.stalled
	st.mu.Lock()
	st.m = map[*session]map[string]stalledRoom{env.s: {"room": {n: 1}}} // stalled again meanwhile
	st.mu.Unlock()
	env.e.moveUnheld([]membership{{env.s, h}}, []bool{false})
	select {
	case l := <-gc.leaves:
		t.Fatalf("left for a membership that ended: %+v", l)
	default:
	}
	if err := env.s.notJoinedErr("room"); err != ErrClusterDown {
		t.Fatalf("the room's new stall was forgotten: %v", err)
	}
	env.e.unstall(env.s)
	env.s.connFlags.Store(connFlagConnected)
	env.s.roomsMu.Lock()
	now := env.s.remote["room"]
	env.s.roomsMu.Unlock()
	if n := env.e.moveUnheld([]membership{{env.s, now}, {env.s, h}}, []bool{false, false}); n != 1 {
		t.Fatalf("moved %d memberships, want the one held", n)
	}
	if c := env.s.closeSent.Load(); c != uint32(CloseRoomMoved) {
		t.Fatalf("closed with %d for the membership it holds, want %d", c, CloseRoomMoved)
	}
}
