package clustertest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/client/chatclient"
	"github.com/parlorhq/parlor/cluster/forward"
	"github.com/parlorhq/parlor/cluster/lease"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/wstest"
)

// TestClusterRemoteSendAnsweredOnce: a send forwarded to the room's owner
// and taken there is answered once, by the room's reply on the owner's
// link to the member node, and not also on NATS: nothing is published on
// the member node's reply subjects for it; nor for a leave, which the
// session's left envelope answers. When the owner then dies, the
// next send is answered unavailable at once (NATS's "no responders"), not
// after the 2 s reply timeout.
func TestClusterRemoteSendAnsweredOnce(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{ns.URL()}, st, nodeOptions{})
	cvA, err := chatclient.DM(ctx(t), a.dial("alice"), "bob")
	if err != nil {
		t.Fatal(err)
	}
	bob := b.dial("bob")
	if _, err := chatclient.DM(ctx(t), bob, "alice"); err != nil {
		t.Fatal(err)
	}
	id := cvA.ID()
	if !a.owns(id) {
		t.Fatal("the conversation does not run on alice's node")
	}

	// The member node's reply subjects: learned from its first send.
	spy := dial(t, "spy", ns.URL())
	replies := make(chan string, 1)
	sub, err := spy.Subscribe(forward.DefaultSubjectPrefix+".a.send", func(m *nats.Msg) {
		select {
		case replies <- m.Reply:
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := spy.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Send(ctx(t), id, chat.OpSend, chat.SendRequest{Text: "first"}); err != nil {
		t.Fatal(err)
	}
	var reply string
	select {
	case reply = <-replies:
	case <-time.After(5 * time.Second):
		t.Fatal("no forwarded send seen")
	}
	_ = sub.Unsubscribe()
	answers := countMsgs(t, spy, reply[:strings.LastIndexByte(reply, '.')+1]+"*")

	const n = 15 // within the chat's default message burst
	var last uint64
	for i := range n {
		r, err := bob.Send(ctx(t), id, chat.OpSend, chat.SendRequest{Text: fmt.Sprint("m", i)})
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		var m chat.Message
		if err := r.Decode(&m); err != nil {
			t.Fatal(err)
		}
		if m.Seq <= last {
			t.Fatalf("send %d acked with seq %d after %d", i, m.Seq, last)
		}
		last = m.Seq
	}
	got := answers.count(t, a.nc, b.nc)
	if got != 0 {
		t.Errorf("%d answers on NATS for %d sends the owner took, want none", got, n)
	}

	// A leave the owner takes is answered by the session's left
	// envelope alone, as a send is by its reply.
	tab := b.dial("bob")
	if _, err := chatclient.DM(ctx(t), tab, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := tab.Leave(ctx(t), id); err != nil {
		t.Fatalf("leave of a remote room: %v", err)
	}
	if got := answers.count(t, a.nc, b.nc); got != 0 {
		t.Errorf("%d answers on NATS for a leave the owner took, want none", got)
	}
	if _, err := tab.Send(ctx(t), id, chat.OpSend, chat.SendRequest{Text: "after leaving"}); err == nil {
		t.Error("a send after the leave was taken")
	}

	// A send to a dead owner is refused at once (NATS has no responder).
	// A client that does not rejoin moved rooms in place gets the refusal;
	// one that does (bob's) sends it again after its rejoin, to the room's
	// next owner, and it is applied once.
	plain := b.srv.DialOptions("bob", client.Options{Reconnect: client.ReconnectPolicy{Disabled: true}})
	if _, err := chatclient.DM(ctx(t), plain, "alice"); err != nil {
		t.Fatal(err)
	}
	a.kill()
	start := time.Now()
	_, err = plain.Send(ctx(t), id, chat.OpSend, chat.SendRequest{Text: "to a dead owner"})
	var ce *codec.Error
	if !errors.As(err, &ce) || ce.Code != codec.CodeUnavailable {
		t.Fatalf("send to a dead owner = %v, want unavailable", err)
	}
	if d := time.Since(start); d >= time.Second {
		t.Errorf("send to a dead owner answered after %v, not at once", d)
	}
	r, err := bob.Send(ctx(t), id, chat.OpSend, chat.SendRequest{Text: "moved"}, client.WithClientMsgID("bob-moved"))
	if err != nil {
		t.Fatalf("send to a dead owner from a client that rejoins in place: %v", err)
	}
	var m chat.Message
	if err := r.Decode(&m); err != nil || m.Seq != last+1 || !b.owns(id) {
		t.Fatalf("the send was stored at seq %d (%v), want %d on the next owner", m.Seq, err, last+1)
	}
}

// TestClusterRemoteJoinAnsweredOnce: a join forwarded to the room's owner
// and taken there is answered once, by the session's joined frame in the
// owner's batch, and not also on NATS: nothing is published on the reply
// subject of the forwarded join (the first session's, found by a lookup,
// nor a second tab's, sent to the known owner). A join the owner refuses
// is still answered on NATS, with the owner's code.
func TestClusterRemoteJoinAnsweredOnce(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{ns.URL()}, st, nodeOptions{})
	spy := replySpy(t, dial(t, "spy", ns.URL()), forward.DefaultSubjectPrefix+".a.join")
	cvA, err := chatclient.DM(ctx(t), a.dial("alice"), "bob")
	if err != nil {
		t.Fatal(err)
	}
	id := cvA.ID()
	for i, bob := range []*client.Client{b.dial("bob"), b.dial("bob")} {
		cv, err := chatclient.DM(ctx(t), bob, "alice")
		if err != nil {
			t.Fatalf("join %d: %v", i, err)
		}
		if cv.ID() != id || !a.owns(id) {
			t.Fatal("the join did not reach the room on its owner")
		}
		if _, err := bob.Send(ctx(t), id, chat.OpSend, chat.SendRequest{Text: fmt.Sprint("after join ", i)}); err != nil {
			t.Fatalf("send after join %d: %v", i, err)
		}
	}
	requests, answers := spy.count(t, id, a.nc, b.nc)
	if requests != 2 {
		t.Fatalf("%d joins forwarded to a, want 2", requests)
	}
	if answers != 0 {
		t.Errorf("%d answers on NATS for %d joins the owner took, want none", answers, requests)
	}

	// carol is no member of alice and bob's group: the owner refuses.
	g, err := chatclient.CreateGroup(ctx(t), a.dial("alice"), "g", "bob")
	if err != nil {
		t.Fatal(err)
	}
	_, err = chatclient.Group(ctx(t), b.dial("carol"), g.ID())
	if code := codec.AsError(err).Code; err == nil || code == codec.CodeUnavailable {
		t.Fatalf("join of a non-member = %v, want a refusal", err)
	}
	requests, answers = spy.count(t, g.ID(), a.nc, b.nc)
	if requests != 1 || answers != 1 {
		t.Errorf("a refused join: %d requests and %d answers on NATS, want 1 and 1", requests, answers)
	}
}

// replies counts the forwarded requests on one subject that mention a
// room, and the answers published on their reply subjects.
type replies struct {
	nc       *nats.Conn
	requests *nats.Subscription
	inboxes  *nats.Subscription
	reqs     []*nats.Msg
	answers  []*nats.Msg
}

// replySpy watches the requests on subject and every inbox.
func replySpy(t *testing.T, nc *nats.Conn, subject string) *replies {
	t.Helper()
	r := &replies{nc: nc}
	var err error
	if r.requests, err = nc.SubscribeSync(subject); err != nil {
		t.Fatal(err)
	}
	if r.inboxes, err = nc.SubscribeSync("_INBOX.>"); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return r
}

// count returns how many requests seen so far mention room, and how many
// messages were published on their reply subjects, once everything conns
// published before is through the server.
func (r *replies) count(t *testing.T, room string, conns ...*nats.Conn) (requests, answers int) {
	t.Helper()
	for _, nc := range append(conns, r.nc) {
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	drain := func(sub *nats.Subscription, into *[]*nats.Msg) {
		for {
			m, err := sub.NextMsg(10 * time.Millisecond)
			if err != nil {
				return
			}
			*into = append(*into, m)
		}
	}
	drain(r.requests, &r.reqs)
	drain(r.inboxes, &r.answers)
	asked := make(map[string]bool)
	for _, m := range r.reqs {
		if strings.Contains(string(m.Data), room) {
			requests++
			asked[m.Reply] = true
		}
	}
	for _, m := range r.answers {
		if asked[m.Subject] {
			answers++
		}
	}
	return requests, answers
}

// TestClusterSecondSessionKnowsOwner: a member node looks a room's owner
// up in the lease bucket for its first session in the room only; the next
// session there (a second tab, a spectator) forwards its join straight to
// the owner. A bystander's room on the same nodes is looked up as usual.
func TestClusterSecondSessionKnowsOwner(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{ns.URL()}, st, nodeOptions{})
	reads := countMsgs(t, dial(t, "spy", ns.URL()), "$JS.API.STREAM.MSG.GET.>")
	// The lease reads of one room: the users' channels, joined after
	// each connect, are rooms of their own.
	var room string
	lookups := func() int {
		t.Helper()
		return reads.countAbout(t, room, a.nc, b.nc)
	}
	cvA, err := chatclient.DM(ctx(t), a.dial("alice"), "bob")
	if err != nil {
		t.Fatal(err)
	}
	room = cvA.ID()
	before := lookups()
	first := b.dial("bob")
	if _, err := chatclient.DM(ctx(t), first, "alice"); err != nil {
		t.Fatal(err)
	}
	if got := lookups() - before; got != 1 {
		t.Errorf("first session's join read the lease bucket %d times, want 1", got)
	}
	before = lookups()
	second, err := chatclient.DM(ctx(t), b.dial("bob"), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if got := lookups() - before; got != 0 {
		t.Errorf("second session's join read the lease bucket %d times, want 0", got)
	}
	if second.ID() != cvA.ID() || !a.owns(cvA.ID()) || b.owns(cvA.ID()) {
		t.Fatal("the second session did not join the room on its owner")
	}
	if _, err := first.Send(ctx(t), cvA.ID(), chat.OpSend, chat.SendRequest{Text: "from the first tab"}); err != nil {
		t.Fatal(err)
	}
	nextWhere(t, second, "the first tab's message", func(u chatclient.Update) bool {
		return u.Message != nil && u.Message.Text == "from the first tab"
	})

	// A bystander's conversation, owned by a as well, is looked up.
	cvC, err := chatclient.DM(ctx(t), a.dial("carol"), "dave")
	if err != nil {
		t.Fatal(err)
	}
	room = cvC.ID()
	before = lookups()
	if _, err := chatclient.DM(ctx(t), b.dial("dave"), "carol"); err != nil {
		t.Fatal(err)
	}
	if got := lookups() - before; got != 1 {
		t.Errorf("bystander's join read the lease bucket %d times, want 1", got)
	}
}

// TestClusterResumeReadsOwnerFirst: a member node looks the owner of a
// room up with a refused create and a read for a fresh join (the room
// may not exist), and with one read alone for a join that resumes the
// room (with its epoch), which expects it to run somewhere.
func TestClusterResumeReadsOwnerFirst(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{ns.URL()}, st, nodeOptions{})
	spy := dial(t, "spy", ns.URL())
	reads := countMsgs(t, spy, "$JS.API.STREAM.MSG.GET.>")
	cvA, err := chatclient.DM(ctx(t), a.dial("alice"), "bob")
	if err != nil {
		t.Fatal(err)
	}
	id := cvA.ID()
	writes := countMsgs(t, spy, "$KV."+lease.DefaultBucket+"."+id)
	lookups := func() (int, int) {
		t.Helper()
		return reads.countAbout(t, id, a.nc, b.nc), writes.count(t)
	}
	params, err := codec.MarshalData(chat.DMParams{With: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	r0, w0 := lookups()
	fresh, _ := wsConnect(t, b, "bob", "")
	joined, err := fresh.Join(2, chat.KindDM, chat.DMParams{With: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if r, w := lookups(); r-r0 != 1 || w-w0 != 1 {
		t.Errorf("a fresh join's lookup: %d reads and %d writes, want 1 and 1 (a refused create)", r-r0, w-w0)
	}
	_ = fresh.Close()
	eventually(t, "b to forget the room", func() bool { return b.srv.Engine.Stats().Sessions == 0 })

	r0, w0 = lookups()
	again, _ := wsConnect(t, b, "bob", "")
	if err := again.WriteMessage(codec.AppendJoin(nil, 2, chat.KindDM, params, joined.Epoch, joined.Seq)); err != nil {
		t.Fatal(err)
	}
	if _, err := again.Await(codec.TypeJoined, 2); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if r, w := lookups(); r-r0 != 1 || w-w0 != 0 {
		t.Errorf("a resume's lookup: %d reads and %d writes, want 1 and 0", r-r0, w-w0)
	}
	if !a.owns(id) || b.owns(id) {
		t.Fatal("the resume did not join the room on its owner")
	}
}

// TestClusterLeaveOwnerGone: a leave forwarded to an owner that got it
// but cannot answer (its NATS link frozen, so no "no responders", then
// cut for good) ends as soon as the owner is known gone, as a leave done,
// and not after the member engine's join timeout: bob's session on the
// member node is closed and counted out while that timeout (10 s) is
// still far off. The member's forward timeout is set longer than the test
// so that only the owner's departure can end the leave.
func TestClusterLeaveOwnerGone(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	natsAddr := strings.TrimPrefix(ns.URL(), "nats://")
	link := wstest.StartProxy(t, natsAddr) // a's way to NATS, to freeze
	a := startNode(t, "a", []string{"nats://" + link.Addr()}, st, nodeOptions{})
	b := startNode(t, "b", []string{ns.URL()}, st, nodeOptions{forwardTimeout: time.Minute})
	cvA, err := chatclient.DM(ctx(t), a.dial("alice"), "bob")
	if err != nil {
		t.Fatal(err)
	}
	bob := b.dial("bob")
	if _, err := chatclient.DM(ctx(t), bob, "alice"); err != nil {
		t.Fatal(err)
	}
	id := cvA.ID()
	if !a.owns(id) || b.srv.Engine.Stats().Sessions != 1 {
		t.Fatal("want the conversation on alice's node and bob's one session on b")
	}
	leaves := countMsgs(t, dial(t, "spy", ns.URL()), forward.DefaultSubjectPrefix+".a.leave")

	link.Freeze()
	start := time.Now()
	left := make(chan error, 1)
	go func() { left <- bob.Leave(context.Background(), id) }()
	eventually(t, "the leave sent to a", func() bool { return leaves.count(t, b.nc) == 1 })
	link.SetTarget("127.0.0.1:1") // a falls silent for good: b finds it gone
	link.Cut()
	select {
	case <-left: // done, or the connection closed as the room's owner left
	case <-time.After(6 * time.Second):
		t.Fatal("the leave still waits 6 s after its owner fell silent")
	}
	_ = bob.Close()
	for b.srv.Engine.Stats().Sessions != 0 {
		if time.Since(start) > 7*time.Second {
			t.Fatal("bob's session on b still open: its leave waits for the join timeout")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestClusterJoinGivenUpIsUndone: a join that the owner applies while
// the member node takes the owner for gone (its answer came after the
// join's wait), tried again until the join's time is over, must not
// leave the owner with a member the member node no longer knows of: once
// the join fails, the owners that may have applied it are told to undo
// it. The owner here applies every join at once; b's cluster reports
// each as unanswered, as a slow owner's would be.
func TestClusterJoinGivenUpIsUndone(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{ns.URL()}, st, nodeOptions{
		joinTimeout: 1500 * time.Millisecond,
		wrap:        func(c engine.Cluster) engine.Cluster { return &unansweredJoins{Cluster: c} },
	})
	cv, err := chatclient.DM(ctx(t), a.dial("alice"), "bob")
	if err != nil {
		t.Fatal(err)
	}
	members := func() int {
		rooms, err := a.srv.Engine.Rooms(ctx(t), "")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rooms {
			if r.ID == cv.ID() {
				return r.Members
			}
		}
		t.Fatalf("the DM %s does not run on a", cv.ID())
		return 0
	}
	if _, err := chatclient.DM(ctx(t), b.dial("bob"), "alice"); err == nil {
		t.Fatal("bob's join got in, though b took every answer for a gone owner")
	}
	eventually(t, "the owner's count of the DM's members back to alice alone", func() bool { return members() == 1 })
}

// unansweredJoins is an engine.Cluster that forwards every join, and
// reports it unanswered (engine.ErrOwnerGone) before the owner's answer
// can come: as a member node sees an owner whose mailbox holds the join
// past the join's wait.
type unansweredJoins struct{ engine.Cluster }

// Join implements engine.Cluster.
func (c *unansweredJoins) Join(owner string, j *engine.ClusterJoin, done func(error)) error {
	if err := c.Cluster.Join(owner, j, func(error) {}); err != nil {
		return err
	}
	done(engine.ErrOwnerGone)
	return nil
}
