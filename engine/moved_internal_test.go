package engine

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/room"
)

// A forwarded send refused because the room's owner is gone ends the
// session's membership of that room. A client that rejoins moved rooms in
// place gets a left frame with reason moved before the send's answer, so
// that it writes the send again after its rejoin, and keeps its
// connection; any other client gets the answer and a close with 1012.
func TestForwardRefusedRoomMoved(t *testing.T) {
	for _, inPlace := range []bool{true, false} {
		name := "closed"
		if inPlace {
			name = "in place"
		}
		t.Run(name, func(t *testing.T) {
			env := newPingEnv(t, false)
			s := env.s
			env.e.cluster = &gapCluster{leaves: make(chan *ClusterLeave, 4)}
			env.e.remotes = newShardedMap[*remoteRoom]()
			if inPlace {
				s.connFlags.Store(connFlagConnected | connFlagRoomMoves)
			}
			rr := env.e.enterRemote("room", s)
			h := &remoteHandle{rr: rr, owner: "gone"}
			s.roomsMu.Lock()
			s.remote = map[string]*remoteHandle{"room": h}
			s.roomsMu.Unlock()
			if !h.replies.await(s, 7, 16) || !h.replies.await(s, 8, 16) {
				t.Fatal("await refused")
			}
			s.forwarded(h, 7, ErrOwnerGone)
			// The next refusal of the same room: no second notice, and no
			// answer (the client writes it again after its rejoin).
			s.forwarded(h, 8, ErrOwnerGone)

			if inPlace && s.remoteRoom("room") != nil {
				t.Fatal("the session is still in the room after its owner was found gone")
			}
			if _, ok := env.e.remotes.load("room"); ok && inPlace {
				t.Fatal("the remote room outlived its last member")
			}
			frames := readServerFrames(t, env.conn.NetConn(), inPlace)
			var got []string
			for _, f := range frames {
				switch f.Type {
				case codec.TypeLeft:
					got = append(got, "left "+f.Room+" "+f.Reason)
				case codec.TypeReply:
					got = append(got, "reply "+itoa(f.Ref)+" "+string(f.Code))
				}
			}
			// Closing, the connection writes what was queued before the
			// close, not what comes after it.
			want := []string{"reply 7 unavailable"}
			if inPlace {
				want = []string{"left room moved", "reply 7 unavailable"}
			}
			if len(got) != len(want) {
				t.Fatalf("frames %v, want %v", got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("frames %v, want %v", got, want)
				}
			}
			closed := s.closeSent.Load() == uint32(CloseRoomMoved)
			if closed == inPlace {
				t.Fatalf("closed with 1012: %v, want %v", closed, !inPlace)
			}
		})
	}
}

// readServerFrames reads the server's WebSocket messages from conn (its
// frames are not masked) and decodes their protocol frames: until a close
// frame when closing, else until 300 ms pass without a message.
func readServerFrames(t *testing.T, conn net.Conn, quiet bool) []codec.Frame {
	t.Helper()
	var frames []codec.Frame
	for {
		wait := 5 * time.Second
		if quiet {
			wait = 300 * time.Millisecond
		}
		_ = conn.SetReadDeadline(time.Now().Add(wait))
		var hdr [2]byte
		if _, err := io.ReadFull(conn, hdr[:]); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() && quiet {
				return frames
			}
			t.Fatalf("read: %v (after %d frames)", err, len(frames))
		}
		n := uint64(hdr[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			_, _ = io.ReadFull(conn, b[:])
			n = uint64(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			_, _ = io.ReadFull(conn, b[:])
			n = binary.BigEndian.Uint64(b[:])
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(conn, payload); err != nil {
			t.Fatalf("read payload: %v", err)
		}
		if hdr[0]&0x0f == 0x8 { // close
			return frames
		}
		if err := codec.DecodeMessage(payload, 64, func(f *codec.Frame) error {
			g := *f
			frames = append(frames, g)
			return nil
		}); err != nil {
			t.Fatalf("decode: %v", err)
		}
	}
}

func itoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// A session that joins a remote room again while the owner still counts
// it a member (this node took the owner for gone, dropped the session's
// membership here and told its client the room moved; the owner kept the
// membership) gets no envAttach from the owner: its joined frame attaches
// it, so that the room's next broadcasts reach it.
func TestRejoinedMemberAttachedByJoinedFrame(t *testing.T) {
	env := newPingEnv(t, false)
	s := env.s
	env.e.remotes = newShardedMap[*remoteRoom]()
	rr := env.e.enterRemote("room", s)
	rr.lastSeq, rr.seqKnown = 4, true
	rr.deliver(appendEnvelope(nil, envFrames, s.id, codec.AppendJoined(nil, 3, "room", 4, nil, "e", true)))
	rr.deliver(codec.AppendEvent(nil, "room", 5, "said", nil))
	frames := readServerFrames(t, env.conn.NetConn(), true)
	var got []string
	for _, f := range frames {
		got = append(got, f.Type.String()+" "+itoa(f.Seq))
	}
	if len(got) != 2 || got[0] != "joined 4" || got[1] != "event 5" {
		t.Fatalf("frames %v, want the joined frame, then the broadcast", got)
	}
}

// gapCluster is the part of a Cluster that a member node's gap handling
// uses: it records the leaves and answers them with answer (none: no
// answer, as for a leave the owner took).
type gapCluster struct {
	Cluster
	leaves chan *ClusterLeave
	answer error
	// check answers Check; nil: the owner does not answer.
	check func(owner string, ck *ClusterCheck) ([]int, error)
	// since is what SilenceStart returns.
	since time.Time
}

func (c *gapCluster) SilenceStart() time.Time { return c.since }

func (c *gapCluster) Check(_ context.Context, owner string, ck *ClusterCheck) ([]int, error) {
	if c.check == nil {
		return nil, ErrOwnerGone
	}
	return c.check(owner, ck)
}

func (c *gapCluster) Node() string { return "member" }

// PublishUser drops what presence publishes.
func (c *gapCluster) PublishUser(string, []byte) error { return nil }

func (c *gapCluster) Connected() <-chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}

// inRemoteRoom makes env's engine a member node on gc and puts env's
// session in the room "room" that the node "owner" runs, with handle h.
func inRemoteRoom(env *pingEnv, gc *gapCluster, h *remoteHandle) *remoteRoom {
	env.e.cluster = gc
	env.e.remotes = newShardedMap[*remoteRoom]()
	rr := env.e.enterRemote("room", env.s)
	h.rr, h.owner = rr, "owner"
	env.s.roomsMu.Lock()
	env.s.remote = map[string]*remoteHandle{"room": h}
	env.s.roomsMu.Unlock()
	return rr
}

func (c *gapCluster) Leave(owner string, l *ClusterLeave, done func(error)) error {
	c.leaves <- l
	if c.answer != nil {
		go done(c.answer)
	}
	return nil
}

// A member node that missed broadcasts of a room takes a session whose
// client rejoins in place out of the room's broadcasts, and out of the
// room on its owner as a closed session's node would (a leave marked
// disconnected). The owner's left envelope then tells the client the room
// moved; the session keeps its connection. If the owner refuses the leave
// instead, the membership ends here and the client is told all the same.
func TestMissedBroadcastsMoveInPlace(t *testing.T) {
	for _, refused := range []bool{false, true} {
		name := "left by the owner"
		if refused {
			name = "leave refused"
		}
		t.Run(name, func(t *testing.T) {
			env := newPingEnv(t, false)
			s := env.s
			s.connFlags.Store(connFlagConnected | connFlagRoomMoves)
			gc := &gapCluster{leaves: make(chan *ClusterLeave, 1)}
			if refused {
				gc.answer = ErrNotOwner
			}
			rr := inRemoteRoom(env, gc, &remoteHandle{})
			rr.deliver(appendEnvelope(nil, envAttach, s.id, nil))
			rr.deliver(codec.AppendEvent(nil, "room", 5, "said", nil))
			rr.deliver(codec.AppendEvent(nil, "room", 8, "said", nil)) // 6 and 7 missed
			rr.deliver(codec.AppendEvent(nil, "room", 9, "said", nil))
			var l *ClusterLeave
			select {
			case l = <-gc.leaves:
			case <-time.After(5 * time.Second):
				t.Fatal("no leave forwarded to the owner")
			}
			if l.Room != "room" || l.Session != s.id || !l.Disconnected {
				t.Fatalf("leave %+v, want the session's, marked disconnected", l)
			}
			if !refused {
				rr.deliver(appendEnvelope(nil, envLeft, s.id, []byte(room.LeaveDisconnected)))
			}
			wantEventThenMoved(t, env)
			if s.remoteRoom("room") != nil {
				t.Fatal("the session is still in the room here")
			}
		})
	}
}

// A session whose own leave is under way when its node finds a gap in the
// room's broadcasts is closed with 1012 rather than moved in place: its
// leave may yet be refused, and it must not stay a member that gets no
// broadcasts.
func TestMissedBroadcastsDuringLeaveCloses(t *testing.T) {
	env := newPingEnv(t, true)
	s := env.s
	s.connFlags.Store(connFlagConnected | connFlagRoomMoves)
	gc := &gapCluster{leaves: make(chan *ClusterLeave, 1)}
	rr := inRemoteRoom(env, gc, &remoteHandle{left: make(chan struct{})})
	rr.deliver(appendEnvelope(nil, envAttach, s.id, nil))
	rr.deliver(codec.AppendEvent(nil, "room", 5, "said", nil))
	rr.deliver(codec.AppendEvent(nil, "room", 8, "said", nil))
	if got := s.closeSent.Load(); got != uint32(CloseRoomMoved) {
		t.Fatalf("close %d, want %d", got, CloseRoomMoved)
	}
	select {
	case l := <-gc.leaves:
		t.Fatalf("a leave was forwarded: %+v", l)
	default:
	}
}

// ownerStub is the part of a Cluster that an owner's forwarded joins,
// sends and leaves use here.
type ownerStub struct{ Cluster }

func (ownerStub) Node() string                     { return "owner" }
func (ownerStub) PublishNode(string, []byte) error { return nil }
func (ownerStub) NodeGone(string) <-chan struct{}  { return make(chan struct{}) }
func (ownerStub) Resurfaced() <-chan struct{}      { return nil }
func (ownerStub) Check(context.Context, string, *ClusterCheck) ([]int, error) {
	return nil, ErrOwnerGone
}
func (ownerStub) Connected() <-chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}

// ownerWithRemoteMember starts an owner node's engine (on ownerStub) that
// runs the echo room "room" with the session "sid" of node "member" (user
// "u") in it, joined by j.
func ownerWithRemoteMember(t *testing.T) (*Engine, *room.Room, *ClusterJoin) {
	t.Helper()
	e, err := New(Config{Authenticate: func(*http.Request) (string, error) { return "", nil }, Logger: zap.NewNop(), RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Register(echo.Module{}); err != nil {
		t.Fatal(err)
	}
	e.startCluster(ownerStub{})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Shutdown(ctx)
	})
	r, err := e.roomFor("room", echo.Kind, e.module(echo.Kind), "u")
	if err != nil {
		t.Fatal(err)
	}
	j := &ClusterJoin{Room: "room", Kind: echo.Kind, User: "u", Session: "sid", Node: "member"}
	if err := r.JoinFrom(context.Background(), e.remoteSessionFor(j), 1, nil, "", 0); err != nil {
		t.Fatal(err)
	}
	return e, r, j
}

// A member node's leave of a session marked disconnected (after a gap)
// that waits behind a busy room, and the session's rejoin right after
// it, leave the owner with the session a member and known: its next send
// is taken, and its leave ends the membership. The rejoin used to make
// the session a member through a remote session the leave had already
// forgotten, which no later send or leave could reach.
func TestOwnerDisconnectThenRejoin(t *testing.T) {
	e, r, j := ownerWithRemoteMember(t)
	ctx := context.Background()
	gate := make(chan struct{})
	busy := make(chan struct{})
	go func() {
		_ = r.Do(ctx, func() {
			close(busy)
			<-gate
		})
	}()
	<-busy
	old, _ := e.remoteSessions.load(remoteKey("room", "sid"))
	r.Disconnect(old)           // what a forwarded leave marked disconnected does, queued
	rs := e.remoteSessionFor(j) // the rejoin, looked up before the room takes the leave
	joined := make(chan error, 1)
	go func() { joined <- r.JoinFrom(ctx, rs, 2, nil, "", 0) }()
	close(gate)
	if err := <-joined; err != nil {
		t.Fatal(err)
	}
	if _, known := e.remoteSessions.load(remoteKey("room", "sid")); !known {
		t.Fatal("the owner does not know the rejoined session")
	}
	say, err := codec.MarshalData(echo.SayData{Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	sent := make(chan error, 1)
	clusterSide{e}.Send(&ClusterSend{Room: "room", User: "u", Session: "sid", Node: "member", Ref: 3, Event: "say",
		Data: say}, func(err error) { sent <- err })
	select {
	case err := <-sent:
		if err != nil {
			t.Fatalf("the rejoined session's send: %v", err)
		}
	case <-time.After(200 * time.Millisecond): // taken: answered by its framed reply, not here
	}
	left := make(chan error, 1)
	clusterSide{e}.Leave(&ClusterLeave{Room: "room", User: "u", Session: "sid", Node: "member"}, func(err error) { left <- err })
	if err := <-left; err != nil {
		t.Fatalf("the rejoined session's leave: %v", err)
	}
	var member bool
	_ = r.Do(ctx, func() { member = r.IsMember("u") })
	if member {
		t.Fatal("the owner still counts the session a member after its leave")
	}
}

// A gap detaches every session of the node that moves in place, in one
// pass, and keeps the others attached: the joining session that showed
// the gap, and one closed with 1012 (its close ends it).
func TestMissedDetachesMovingSessionsOnly(t *testing.T) {
	env := newPingEnv(t, false)
	s := env.s
	s.connFlags.Store(connFlagConnected | connFlagRoomMoves)
	gc := &gapCluster{leaves: make(chan *ClusterLeave, 1)}
	rr := inRemoteRoom(env, gc, &remoteHandle{})
	plain := newPingEnv(t, true).s // rejoins by reconnecting
	joining := &session{}          // the session whose join showed the gap
	rr.attached.Store(&[]*session{plain, s, joining})
	rr.lastSeq, rr.seqKnown = 5, true
	rr.missed(8, joining)
	if got := *rr.attached.Load(); len(got) != 2 || got[0] != plain || got[1] != joining {
		t.Fatalf("attached %v, want the closed session and the joining one", got)
	}
	if plain.closeSent.Load() != uint32(CloseRoomMoved) {
		t.Fatalf("the session that does not move in place: close %d, want %d", plain.closeSent.Load(), CloseRoomMoved)
	}
	select {
	case l := <-gc.leaves:
		if l.Session != s.id || !l.Disconnected {
			t.Fatalf("leave %+v", l)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no leave forwarded for the session that moves in place")
	}
}

// When this node is heard again after a silence that other nodes may have
// taken for its death, a session in a room owned elsewhere leaves that
// room on its owner, once, even when a gap in the room's broadcasts sent
// that leave first, and is told once that the room moved. The room is no
// longer stalled for it.
func TestResurfacedLeavesRemoteRoomsOnce(t *testing.T) {
	env := newPingEnv(t, false)
	s := env.s
	s.connFlags.Store(connFlagConnected | connFlagRoomMoves)
	gc := &gapCluster{leaves: make(chan *ClusterLeave, 2)}
	rr := inRemoteRoom(env, gc, &remoteHandle{})
	env.e.stalled.m = map[*session]map[string]stalledRoom{s: {"room": {n: 1}}}
	rr.deliver(appendEnvelope(nil, envAttach, s.id, nil))
	rr.deliver(codec.AppendEvent(nil, "room", 5, "said", nil))
	rr.deliver(codec.AppendEvent(nil, "room", 8, "said", nil)) // 6 and 7 missed
	env.e.resurfaced(time.Time{})
	select {
	case <-gc.leaves:
	case <-time.After(5 * time.Second):
		t.Fatal("no leave forwarded to the owner")
	}
	select {
	case l := <-gc.leaves:
		t.Fatalf("a second leave forwarded: %+v", l)
	default:
	}
	env.e.stalled.mu.Lock()
	_, stalled := env.e.stalled.m[s]
	env.e.stalled.mu.Unlock()
	if stalled {
		t.Fatal("the room is still stalled for the session")
	}
	rr.deliver(appendEnvelope(nil, envLeft, s.id, []byte(room.LeaveDisconnected)))
	wantEventThenMoved(t, env)
}

// wantEventThenMoved reads what env's client got: event 5 of "room",
// then one left frame with reason moved, and the connection still open.
func wantEventThenMoved(t *testing.T, env *pingEnv) {
	t.Helper()
	frames := readServerFrames(t, env.conn.NetConn(), true)
	var got []string
	for _, f := range frames {
		got = append(got, f.Type.String()+" "+itoa(f.Seq)+f.Reason)
	}
	if len(got) != 2 || got[0] != "event 5" || got[1] != "left 0moved" {
		t.Fatalf("frames %v, want event 5 and one left frame with reason moved", got)
	}
	if c := env.s.closeSent.Load(); c != 0 {
		t.Fatalf("closed with %d", c)
	}
	if env.s.moveBeingTold() {
		t.Fatal("a move is still counted as being told")
	}
}

// When this node is heard again after such a silence, a session in a room
// owned elsewhere whose client does not rejoin rooms in place is closed
// with CloseRoomMoved; one in no such room is left alone.
func TestResurfacedClosesOtherClients(t *testing.T) {
	for _, inRoom := range []bool{false, true} {
		env := newPingEnv(t, true)
		s := env.s
		gc := &gapCluster{leaves: make(chan *ClusterLeave, 1)}
		if inRoom {
			inRemoteRoom(env, gc, &remoteHandle{})
		} else {
			env.e.cluster = gc
		}
		env.e.resurfaced(time.Time{})
		want := uint32(0)
		if inRoom {
			want = uint32(CloseRoomMoved)
		}
		if got := s.closeSent.Load(); got != want {
			t.Fatalf("in a remote room %v: close %d, want %d", inRoom, got, want)
		}
		select {
		case l := <-gc.leaves:
			t.Fatalf("a leave was forwarded: %+v", l)
		default:
		}
	}
}

// A forwarded send refused (the owner no longer has the membership) after
// its membership ended by a move (the owner's left envelope for a room
// that stopped), which the client is told of by a left frame that may not
// have been written yet, gets no reply: a reply could overtake that left
// frame, and the client would take the refusal for the send's answer
// instead of sending it again after its rejoin. A send refused after the
// membership ended otherwise (the client's own leave) is answered, and so
// is one refused after a move that came while the client was leaving: it
// will not join again to send it once more.
func TestForwardRefusedDuringMoveNotAnswered(t *testing.T) {
	for _, tc := range []struct {
		name    string
		leaving bool
		reason  room.LeaveReason
		want    []string
	}{
		{"moved", false, room.LeaveShutdown, []string{"left 0moved"}},
		{"left", true, room.LeaveLeft, []string{"reply 7unavailable"}},
		{"moved while leaving", true, room.LeaveShutdown, []string{"left 0moved", "reply 7unavailable"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newPingEnv(t, false)
			s := env.s
			s.connFlags.Store(connFlagConnected | connFlagRoomMoves)
			h := &remoteHandle{}
			if tc.leaving {
				h.left = make(chan struct{})
			}
			rr := inRemoteRoom(env, &gapCluster{leaves: make(chan *ClusterLeave, 1)}, h)
			if !h.replies.await(s, 7, 10) {
				t.Fatal("the send was not registered")
			}
			s.remoteLeft(rr, tc.reason)
			s.forwarded(h, 7, ErrNotOwner)
			var got []string
			for _, f := range readServerFrames(t, env.conn.NetConn(), true) {
				got = append(got, f.Type.String()+" "+itoa(f.Ref)+f.Reason+string(f.Code))
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("frames %v, want %v", got, tc.want)
			}
			if s.moveBeingTold() {
				t.Fatal("a move is still counted as being told")
			}
		})
	}
}

// While the left frame of a room's move is being queued, a send to a
// room the session is not in gets no answer: it may be one of the moved
// room's, written before the client knew, which the client sends again
// after its rejoin, and an answer must not overtake the left frame. Once
// the frame is queued, such a send is refused as not joined again.
func TestSendWhileMoveBeingToldNotAnswered(t *testing.T) {
	env := newPingEnv(t, false)
	s := env.s
	s.connFlags.Store(connFlagConnected | connFlagRoomMoves)
	s.beginMove()
	s.handleSend(&codec.Frame{Type: codec.TypeSend, Ref: 9, Room: "room", Event: "said"})
	s.moved("room", "room moved to another node")
	s.endMove()
	s.handleSend(&codec.Frame{Type: codec.TypeSend, Ref: 10, Room: "room", Event: "said"})
	var got []string
	for _, f := range readServerFrames(t, env.conn.NetConn(), true) {
		got = append(got, f.Type.String()+" "+itoa(f.Ref)+f.Reason+string(f.Code))
	}
	if want := []string{"left 0moved", "reply 10forbidden"}; !slices.Equal(got, want) {
		t.Fatalf("frames %v, want %v", got, want)
	}
}

// A room that stalled while the node was cut off is not moved again when
// the node is back if its session was told some other way meanwhile: a
// membership whose send could not go out and that has been replaced since
// (the session rejoined after a gap), or a room that stopped and that the
// session has joined again. The new membership is left alone.
func TestResumeStalledSkipsReplacedMemberships(t *testing.T) {
	for _, withHandle := range []bool{true, false} {
		name := "room stopped"
		if withHandle {
			name = "send not sent"
		}
		t.Run(name, func(t *testing.T) {
			env := newPingEnv(t, false)
			s := env.s
			s.connFlags.Store(connFlagConnected | connFlagRoomMoves)
			gc := &gapCluster{leaves: make(chan *ClusterLeave, 1)}
			old := &remoteHandle{}
			inRemoteRoom(env, gc, old)
			fresh := &remoteHandle{rr: old.rr, owner: "owner"}
			s.roomsMu.Lock()
			s.remote["room"] = fresh // the rejoin after the session was told
			s.roomsMu.Unlock()
			stalled := old
			if !withHandle {
				stalled = nil
			}
			env.e.stalled.m = map[*session]map[string]stalledRoom{s: {"room": {n: 1, h: stalled}}}
			env.e.wg.Add(1)
			env.e.resumeStalled()
			select {
			case l := <-gc.leaves:
				t.Fatalf("a leave was forwarded: %+v", l)
			default:
			}
			if frames := readServerFrames(t, env.conn.NetConn(), true); len(frames) != 0 {
				t.Fatalf("%d frames sent, want none", len(frames))
			}
			if s.remoteRoom("room") != fresh || s.closeSent.Load() != 0 {
				t.Fatal("the new membership did not survive")
			}
		})
	}
}
