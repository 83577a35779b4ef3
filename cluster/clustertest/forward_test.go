package clustertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/parlorhq/parlor/cluster/forward"
	"github.com/parlorhq/parlor/codec"
)

// owner is a forward.Handler standing for the engine of a room's owner:
// it answers joins with a snapshot, echoes sends (answering later, from
// another goroutine), refuses user "mallory", and never answers the event
// "hang".
type owner struct {
	mu    sync.Mutex
	sends []string
	joins int
	// responded counts the sends it took and answered (respond returned).
	responded int
}

func (o *owner) Join(j *forward.Join, respond func(*forward.Reply)) {
	o.mu.Lock()
	o.joins++
	o.mu.Unlock()
	if j.User == "mallory" {
		respond(forward.ErrorReply(&codec.Error{Code: codec.CodeForbidden, Message: "room: not a member"}))
		return
	}
	respond(&forward.Reply{Seq: j.Since + 1, Epoch: "ep-" + j.Room, Snapshot: j.Params, Recovered: j.Epoch != ""})
}

func (o *owner) Send(s *forward.Send, respond func(*forward.Reply)) {
	if s.Event == "hang" {
		return
	}
	if s.User == "mallory" {
		respond(forward.ErrorReply(&codec.Error{Code: codec.CodeForbidden, Message: "room: not a member"}))
		return
	}
	o.mu.Lock()
	o.sends = append(o.sends, s.ClientMsgID)
	seq := uint64(len(o.sends))
	o.mu.Unlock()
	go func() {
		respond(&forward.Reply{Seq: seq, Data: s.Data})
		o.mu.Lock()
		o.responded++
		o.mu.Unlock()
	}()
}

func (o *owner) Leave(l *forward.Leave, respond func(*forward.Reply)) {
	if l.User == "mallory" {
		respond(forward.ErrorReply(&codec.Error{Code: codec.CodeForbidden, Message: "room: not a member"}))
		return
	}
	respond(&forward.Reply{})
}

// Check holds the memberships of session s1 in rooms whose id starts
// with "r", answers incarnation 9 and batch 4, and refuses node
// "mallory".
func (o *owner) Check(c *forward.Check, respond func(*forward.Reply)) {
	if c.Node == "mallory" {
		respond(forward.ErrorReply(&codec.Error{Code: codec.CodeForbidden, Message: "not you"}))
		return
	}
	a := forward.CheckAnswer{Incarnation: 9, Batches: 4}
	for i, m := range c.Members {
		if strings.HasPrefix(m.Room, "r") && m.Session == "s1" {
			a.Held = append(a.Held, i)
		}
	}
	data, _ := msgpack.Marshal(&a)
	respond(&forward.Reply{Data: data})
}

func serveOwner(t *testing.T, nc *nats.Conn, node string) *owner {
	t.Helper()
	o := &owner{}
	srv, err := forward.Serve(nc, forward.ServerConfig{Node: node, Handler: o})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return o
}

// checkRoundTrip forwards a join, sends and a leave from c to node and
// checks the owner's answers and their order.
func checkRoundTrip(t *testing.T, c *forward.Client, o *owner, node string) {
	t.Helper()
	ctx := ctxT(t)
	params, _ := msgpack.Marshal(map[string]string{"with": "bob"})
	r, err := c.Join(ctx, node, &forward.Join{Room: "r1", Kind: "chat", User: "alice", Session: "s1", Node: "member", Params: params, Epoch: "e", Since: 41})
	if err != nil {
		t.Fatalf("Join: %v", err)
	}
	if r.Seq != 42 || r.Epoch != "ep-r1" || !r.Recovered || string(r.Snapshot) != string(params) {
		t.Errorf("join reply = %+v", r)
	}
	const n = 200
	o.mu.Lock()
	before := len(o.sends)
	o.mu.Unlock()
	for i := range n {
		data, _ := msgpack.Marshal(i)
		r, err := c.Send(ctx, node, &forward.Send{Room: "r1", User: "alice", Session: "s1", Node: "member", Event: "msg", Data: data, ClientMsgID: fmt.Sprint("m", i)})
		if err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
		if string(r.Data) != string(data) {
			t.Fatalf("Send %d echoed % x", i, r.Data)
		}
	}
	o.mu.Lock()
	got := slices.Clone(o.sends[before:])
	o.mu.Unlock()
	for i, id := range got {
		if id != fmt.Sprint("m", i) {
			t.Fatalf("owner got send %d as %q", i, id)
		}
	}
	if _, err := c.Leave(ctx, node, &forward.Leave{Room: "r1", User: "alice", Session: "s1", Node: "member"}); err != nil {
		t.Errorf("Leave: %v", err)
	}
	a, err := c.Check(ctx, node, &forward.Check{Node: "member", Members: []forward.Member{
		{Room: "r1", Session: "s1"}, {Room: "r2", Session: "s2"}, {Room: "x", Session: "s1"}, {Room: "r3", Session: "s1"},
	}})
	if err != nil || !slices.Equal(a.Held, []int{0, 3}) || a.Incarnation != 9 || a.Batches != 4 {
		t.Errorf("Check: %+v, %v; want held [0 3], incarnation 9, batch 4", a, err)
	}
	if _, err := c.Check(ctx, node, &forward.Check{Node: "mallory"}); codec.AsError(err).Code != codec.CodeForbidden {
		t.Errorf("Check refused: %v", err)
	}
}

// TestForwardRoundTrip: a member node's requests reach the owner node over
// NATS and its answers, success or refusal, come back.
func TestForwardRoundTrip(t *testing.T) {
	s := StartServer(t)
	o := serveOwner(t, dial(t, "owner", s.URL()), "owner")
	c := forward.NewClient(dial(t, "member", s.URL()), forward.ClientConfig{})
	checkRoundTrip(t, c, o, "owner")

	r, err := c.Join(ctxT(t), "owner", &forward.Join{Room: "r1", User: "mallory"})
	if !errors.Is(err, &codec.Error{Code: codec.CodeForbidden}) || r == nil || r.Message != "room: not a member" {
		t.Errorf("refused join = %+v, %v; want forbidden", r, err)
	}

	// A handler that does not answer checks (not a CheckHandler) has
	// them refused, as an owner of an earlier version does.
	srv, err := forward.Serve(dial(t, "plain", s.URL()), forward.ServerConfig{Node: "plain", Handler: struct{ forward.Handler }{o}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if _, err := c.Check(ctxT(t), "plain", &forward.Check{Node: "member"}); codec.AsError(err).Code != codec.CodeBadRequest {
		t.Errorf("Check of a plain handler = %v, want bad request", err)
	}
}

// TestForwardFailures: an owner that does not answer, a node nobody
// serves, a malformed request and a bus that is down each give a stable
// error, and the owner keeps serving everyone else.
func TestForwardFailures(t *testing.T) {
	s := StartServer(t)
	o := serveOwner(t, dial(t, "owner", s.URL()), "owner")
	ncMember := dial(t, "member", s.URL())
	c := forward.NewClient(ncMember, forward.ClientConfig{Timeout: 300 * time.Millisecond})
	ctx := ctxT(t)

	_, err := c.Send(context.Background(), "owner", &forward.Send{Room: "r1", Event: "hang"})
	if !errors.Is(err, forward.ErrTimeout) || codec.AsError(err).Code != codec.CodeUnavailable {
		t.Errorf("unanswered Send = %v, want ErrTimeout", err)
	}
	if _, err := c.Join(ctx, "ghost", &forward.Join{Room: "r1"}); !errors.Is(err, forward.ErrNoResponder) {
		t.Errorf("Join to a node nobody serves = %v, want ErrNoResponder", err)
	}
	if _, err := c.Join(ctx, "bad.node", &forward.Join{Room: "r1"}); !errors.Is(err, forward.ErrBadNode) {
		t.Errorf("Join to a bad node name = %v, want ErrBadNode", err)
	}

	// Malformed and unknown requests are answered bad_request and never
	// reach the handler.
	for subj, body := range map[string][]byte{
		"parlor.fwd.owner.join":  {0xdd, 0xff, 0xff, 0xff, 0xff},
		"parlor.fwd.owner.send":  nil,
		"parlor.fwd.owner.shout": {0x90},
	} {
		msg, err := ncMember.Request(subj, body, 2*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", subj, err)
		}
		var r forward.Reply
		if err := codec.UnmarshalData(msg.Data, &r); err != nil || r.Code != codec.CodeBadRequest {
			t.Errorf("%s: reply %+v, %v; want bad_request", subj, r, err)
		}
	}
	o.mu.Lock()
	joins := o.joins
	o.mu.Unlock()
	if joins != 0 {
		t.Errorf("handler saw %d joins from malformed requests", joins)
	}
	// A bystander member is served as before.
	checkRoundTrip(t, forward.NewClient(dial(t, "bystander", s.URL()), forward.ClientConfig{}), o, "owner")

	s.Stop()
	eventually(t, "disconnect", func() bool { return !ncMember.IsConnected() })
	_, err = c.Send(ctx, "owner", &forward.Send{Room: "r1", Event: "msg"})
	if !errors.Is(err, forward.ErrUnavailable) {
		t.Errorf("Send while NATS is down = %v, want ErrUnavailable", err)
	}
}

// sendAsync calls SendAsync and returns a channel of its answer.
func sendAsync(t *testing.T, c *forward.Client, node string, s *forward.Send) <-chan error {
	t.Helper()
	ch := make(chan error, 2) // a second answer would be a bug the reader sees
	if err := c.SendAsync(node, s, func(err error) { ch <- err }); err != nil {
		t.Fatalf("SendAsync to %s: %v", node, err)
	}
	return ch
}

// answer waits for one answer on ch, and checks that no second one comes.
func answer(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		select {
		case again := <-ch:
			t.Fatalf("answered twice: %v, then %v", err, again)
		default:
		}
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("no answer within 5 s")
	}
	return nil
}

// msgCounter counts the messages published on a subject, as a spying
// connection sees them.
type msgCounter struct {
	nc   *nats.Conn
	sub  *nats.Subscription
	n    int
	data [][]byte // the messages' payloads, in order
}

func countMsgs(t *testing.T, nc *nats.Conn, subject string) *msgCounter {
	t.Helper()
	sub, err := nc.SubscribeSync(subject)
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return &msgCounter{nc: nc, sub: sub}
}

// count returns the messages seen so far, once everything conns published
// before is through the server: the spy's flush returns after the server
// sent it those messages, which its reader has queued on the (synchronous)
// subscription by then.
func (c *msgCounter) count(t *testing.T, conns ...*nats.Conn) int {
	t.Helper()
	for _, nc := range append(conns, c.nc) {
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	queued, _, err := c.sub.Pending()
	if err != nil {
		t.Fatal(err)
	}
	for range queued {
		m, err := c.sub.NextMsg(time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.n++
		c.data = append(c.data, m.Data)
	}
	return c.n
}

// countAbout is count for the messages whose payload mentions about (a
// room id, in a lease read's request), so that what other rooms cause
// meanwhile (a user's channel joined after the connect) is left out.
func (c *msgCounter) countAbout(t *testing.T, about string, conns ...*nats.Conn) int {
	t.Helper()
	c.count(t, conns...)
	n := 0
	for _, d := range c.data {
		if bytes.Contains(d, []byte(about)) {
			n++
		}
	}
	return n
}

// quiet checks that nothing arrives on ch within d.
func quiet(t *testing.T, ch <-chan error, d time.Duration, what string) {
	t.Helper()
	select {
	case err := <-ch:
		t.Errorf("%s answered %v, want no answer", what, err)
	case <-time.After(d):
	}
}

// TestForwardSendAsync: sends published without waiting reach the owner
// in the order they were made; a send the owner takes is not answered on
// NATS at all (its answer is the room's), and a refusal, nobody serving
// the node (at once) or the client closed are each answered once; a send
// nobody answers is forgotten after the timeout without an answer; the
// owner keeps serving a bystander throughout.
func TestForwardSendAsync(t *testing.T) {
	s := StartServer(t)
	ncOwner := dial(t, "owner", s.URL())
	o := serveOwner(t, ncOwner, "owner")
	watch := countMsgs(t, dial(t, "inbox-watch", s.URL()), "_INBOX.>")
	const timeout = 300 * time.Millisecond
	c := forward.NewClient(dial(t, "member", s.URL()), forward.ClientConfig{Timeout: timeout})

	const n = 500
	answers := make([]<-chan error, n)
	for i := range n {
		answers[i] = sendAsync(t, c, "owner", &forward.Send{Room: "r1", User: "alice", Session: "s1", Node: "member", Event: "msg", ClientMsgID: fmt.Sprint("m", i)})
	}
	eventually(t, "the owner to take and answer every send", func() bool {
		o.mu.Lock()
		defer o.mu.Unlock()
		return o.responded == n
	})
	if got := watch.count(t, ncOwner); got != 0 {
		t.Errorf("%d messages on inboxes for %d sends the owner took, want none", got, n)
	}
	o.mu.Lock()
	got := slices.Clone(o.sends)
	o.mu.Unlock()
	if len(got) != n {
		t.Fatalf("owner got %d sends, want %d", len(got), n)
	}
	for i, id := range got {
		if id != fmt.Sprint("m", i) {
			t.Fatalf("owner got send %d as %q: out of order", i, id)
		}
	}
	for i, ch := range answers {
		select {
		case err := <-ch:
			t.Fatalf("send %d the owner took was answered %v", i, err)
		default:
		}
	}

	err := answer(t, sendAsync(t, c, "owner", &forward.Send{Room: "r1", User: "mallory", Event: "msg"}))
	if codec.AsError(err).Code != codec.CodeForbidden {
		t.Errorf("refused send = %v, want forbidden", err)
	}
	if got := watch.count(t, ncOwner); got != 1 {
		t.Errorf("%d messages on inboxes for one refusal, want 1", got)
	}

	start := time.Now()
	if err := answer(t, sendAsync(t, c, "ghost", &forward.Send{Room: "r1"})); !errors.Is(err, forward.ErrNoResponder) {
		t.Errorf("send to a node nobody serves = %v, want ErrNoResponder", err)
	}
	if d := time.Since(start); d >= timeout {
		t.Errorf("no responder reported after %v, not at once", d)
	}
	quiet(t, sendAsync(t, c, "owner", &forward.Send{Room: "r1", Event: "hang"}), 3*timeout, "a send nobody answers")

	// Leaves the same: a taken one is not answered, a refused one is.
	leave := func(l *forward.Leave) <-chan error {
		ch := make(chan error, 2)
		if err := c.LeaveAsync("owner", l, func(err error) { ch <- err }); err != nil {
			t.Fatalf("LeaveAsync: %v", err)
		}
		return ch
	}
	before := watch.count(t, ncOwner)
	taken := leave(&forward.Leave{Room: "r1", User: "alice", Session: "s1", Node: "member"})
	if err := answer(t, leave(&forward.Leave{Room: "r1", User: "mallory"})); codec.AsError(err).Code != codec.CodeForbidden {
		t.Errorf("refused leave = %v, want forbidden", err)
	}
	if got := watch.count(t, ncOwner) - before; got != 1 {
		t.Errorf("%d messages on inboxes for a taken and a refused leave, want 1", got)
	}
	select {
	case err := <-taken:
		t.Errorf("a leave the owner took was answered %v", err)
	default:
	}
	// Its caller waits for a leave: one not refused within the timeout
	// is answered ErrTimeout (here the room's frames would have answered
	// it), and the inbox still carries nothing for it.
	if err := answer(t, taken); !errors.Is(err, forward.ErrTimeout) {
		t.Errorf("a leave not refused within the timeout = %v, want ErrTimeout", err)
	}
	if got := watch.count(t, ncOwner) - before; got != 1 {
		t.Errorf("%d messages on inboxes after the leave's timeout, want 1", got)
	}

	// Joins the same: a taken one is not answered (the room's joined
	// frame answers it), a refused one is, and one not refused within
	// the timeout is answered ErrTimeout.
	join := func(j *forward.Join) <-chan error {
		ch := make(chan error, 2)
		if err := c.JoinAsync("owner", j, func(err error) { ch <- err }); err != nil {
			t.Fatalf("JoinAsync: %v", err)
		}
		return ch
	}
	before = watch.count(t, ncOwner)
	joined := join(&forward.Join{Room: "r1", User: "alice", Session: "s2", Node: "member"})
	if err := answer(t, join(&forward.Join{Room: "r1", User: "mallory", Session: "s3", Node: "member"})); codec.AsError(err).Code != codec.CodeForbidden {
		t.Errorf("refused join = %v, want forbidden", err)
	}
	if got := watch.count(t, ncOwner) - before; got != 1 {
		t.Errorf("%d messages on inboxes for a taken and a refused join, want 1", got)
	}
	if err := answer(t, joined); !errors.Is(err, forward.ErrTimeout) {
		t.Errorf("a join not refused within the timeout = %v, want ErrTimeout", err)
	}
	ghost := make(chan error, 2)
	if err := c.JoinAsync("ghost", &forward.Join{Room: "r1"}, func(err error) { ghost <- err }); err != nil {
		t.Fatal(err)
	}
	if err := answer(t, ghost); !errors.Is(err, forward.ErrNoResponder) {
		t.Errorf("join to a node nobody serves = %v, want ErrNoResponder", err)
	}
	if err := c.SendAsync("bad.node", &forward.Send{}, func(error) { t.Error("done called for a send that never left") }); !errors.Is(err, forward.ErrBadNode) {
		t.Errorf("send to a bad node name = %v, want ErrBadNode", err)
	}
	checkRoundTrip(t, forward.NewClient(dial(t, "bystander", s.URL()), forward.ClientConfig{}), o, "owner")

	// Close answers what waits, and refuses what follows.
	hung := sendAsync(t, c, "owner", &forward.Send{Room: "r1", Event: "hang"})
	c.Close()
	if err := answer(t, hung); !errors.Is(err, forward.ErrUnavailable) {
		t.Errorf("send waiting at Close = %v, want ErrUnavailable", err)
	}
	if err := c.SendAsync("owner", &forward.Send{Room: "r1"}, func(error) {}); !errors.Is(err, forward.ErrUnavailable) {
		t.Errorf("SendAsync after Close = %v, want ErrUnavailable", err)
	}
}

// TestForwardSendAsyncOlderOwner: an owner that answers every send, as
// nodes did before sends were answered only when refused, is understood:
// its successes call nothing, its refusals are answered.
func TestForwardSendAsyncOlderOwner(t *testing.T) {
	s := StartServer(t)
	ncOwner := dial(t, "old", s.URL())
	if _, err := ncOwner.Subscribe(forward.DefaultSubjectPrefix+".old.send", func(m *nats.Msg) {
		var r forward.Send
		if err := msgpack.Unmarshal(m.Data, &r); err != nil {
			t.Error(err)
			return
		}
		reply := &forward.Reply{Seq: 1}
		if r.User == "mallory" {
			reply = forward.ErrorReply(&codec.Error{Code: codec.CodeForbidden, Message: "room: not a member"})
		}
		b, _ := msgpack.Marshal(reply)
		_ = m.Respond(b)
	}); err != nil {
		t.Fatal(err)
	}
	if err := ncOwner.Flush(); err != nil {
		t.Fatal(err)
	}
	c := forward.NewClient(dial(t, "member", s.URL()), forward.ClientConfig{Timeout: 300 * time.Millisecond})
	quiet(t, sendAsync(t, c, "old", &forward.Send{Room: "r1", User: "alice", Event: "msg"}), 500*time.Millisecond, "a send an older owner took")
	err := answer(t, sendAsync(t, c, "old", &forward.Send{Room: "r1", User: "mallory", Event: "msg"}))
	if codec.AsError(err).Code != codec.CodeForbidden {
		t.Errorf("send an older owner refused = %v, want forbidden", err)
	}
}

// TestForwardLeaveAsyncOlderOwner: an owner that answers every leave, as
// nodes did before leaves were answered only when refused, is understood:
// its success is passed on (the leave is done), its refusal too, and a
// leave it never answers is answered ErrTimeout after the client's
// timeout. A send to the same owner, a bystander, is still answered by
// the room alone.
func TestForwardLeaveAsyncOlderOwner(t *testing.T) {
	s := StartServer(t)
	ncOwner := dial(t, "old", s.URL())
	respond := func(m *nats.Msg, user string) {
		reply := &forward.Reply{}
		switch user {
		case "hang":
			return
		case "mallory":
			reply = forward.ErrorReply(&codec.Error{Code: codec.CodeForbidden, Message: "room: not a member"})
		}
		b, _ := msgpack.Marshal(reply)
		_ = m.Respond(b)
	}
	if _, err := ncOwner.Subscribe(forward.DefaultSubjectPrefix+".old.leave", func(m *nats.Msg) {
		var r forward.Leave
		if err := msgpack.Unmarshal(m.Data, &r); err != nil {
			t.Error(err)
			return
		}
		respond(m, r.User)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := ncOwner.Subscribe(forward.DefaultSubjectPrefix+".old.send", func(m *nats.Msg) {
		var r forward.Send
		if err := msgpack.Unmarshal(m.Data, &r); err != nil {
			t.Error(err)
			return
		}
		respond(m, r.User)
	}); err != nil {
		t.Fatal(err)
	}
	if err := ncOwner.Flush(); err != nil {
		t.Fatal(err)
	}
	const timeout = 300 * time.Millisecond
	c := forward.NewClient(dial(t, "member", s.URL()), forward.ClientConfig{Timeout: timeout})
	leave := func(user string) <-chan error {
		ch := make(chan error, 2)
		if err := c.LeaveAsync("old", &forward.Leave{Room: "r1", User: user, Session: "s1", Node: "member"}, func(err error) { ch <- err }); err != nil {
			t.Fatalf("LeaveAsync: %v", err)
		}
		return ch
	}
	if err := answer(t, leave("alice")); err != nil {
		t.Errorf("leave an older owner took = %v, want nil", err)
	}
	if err := answer(t, leave("mallory")); codec.AsError(err).Code != codec.CodeForbidden {
		t.Errorf("leave an older owner refused = %v, want forbidden", err)
	}
	sent := sendAsync(t, c, "old", &forward.Send{Room: "r1", User: "bob", Event: "msg"})
	if err := answer(t, leave("hang")); !errors.Is(err, forward.ErrTimeout) {
		t.Errorf("leave an older owner never answered = %v, want ErrTimeout", err)
	}
	quiet(t, sent, timeout, "a send an older owner took")
}
