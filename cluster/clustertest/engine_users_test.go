package clustertest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/client/chatclient"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/wstest"
)

// wsConnect opens a raw connection as user on n and connects it with a
// resume token (empty for none).
func wsConnect(t testing.TB, n *node, user, token string) (*wstest.Conn, codec.Frame) {
	t.Helper()
	c, err := wstest.Dial(n.addr(), wstest.Options{Target: "/?user=" + user})
	if err != nil {
		t.Fatalf("dial %s on %s: %v", user, n.name, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	f, err := c.Connect(1, "clustertest", token)
	if err != nil {
		t.Fatalf("connect %s on %s: %v", user, n.name, err)
	}
	return c, f
}

// A client that resumes on another node takes its stale connection over:
// the old one, on the first node, is closed with 4009; another user's
// connection there is untouched.
func TestClusterTakeoverAcrossNodes(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{ns.URL()}, st, nodeOptions{})

	old, f := wsConnect(t, a, "alice", "")
	bystander, _ := wsConnect(t, a, "carol", "")
	_, f2 := wsConnect(t, b, "alice", f.Token)
	if !f2.Resumed {
		t.Fatal("the token issued on a did not resume on b")
	}
	res, err := old.ReadUntil(5*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.CloseCode != engine.CloseReplaced {
		t.Fatalf("old connection closed with %d %q, want %d", res.CloseCode, res.Reason, engine.CloseReplaced)
	}
	if _, err := bystander.Join(2, engine.UserKind, nil); err != nil {
		t.Fatalf("bystander: %v", err)
	}
	// A token of another user does not take anything over.
	_, f3 := wsConnect(t, b, "mallory", f2.Token)
	if f3.Resumed {
		t.Fatal("another user's token resumed")
	}
}

// Notify reaches the user's sessions on every node, whichever node calls
// it: the user channel runs on one node, and the others publish to it.
func TestClusterNotifyAcrossNodes(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{ns.URL()}, st, nodeOptions{})

	onA, _ := wsConnect(t, a, "alice", "")
	if _, err := onA.Join(2, engine.UserKind, nil); err != nil {
		t.Fatal(err)
	}
	onB, _ := wsConnect(t, b, "alice", "")
	if _, err := onB.Join(2, engine.UserKind, nil); err != nil {
		t.Fatal(err)
	}
	id := a.srv.Engine.UserChannelID("alice")
	if !a.owns(id) || b.owns(id) {
		t.Fatalf("channel on a: %v, on b: %v; want a only", a.owns(id), b.owns(id))
	}
	for i, from := range []*node{b, a} {
		event := []string{"from-b", "from-a"}[i]
		if err := from.srv.Engine.Notify("alice", event, map[string]int{"n": i}); err != nil {
			t.Fatalf("notify from %s: %v", from.name, err)
		}
		for _, c := range []*wstest.Conn{onA, onB} {
			res, err := c.ReadUntil(5*time.Second, func(f *codec.Frame) bool { return f.Type == codec.TypeEvent && f.Event == event })
			if err != nil {
				t.Fatalf("%s: %v", event, err)
			}
			if got, _ := res.Last(); got.Seq == 0 {
				t.Fatalf("%s: unordered event %+v", event, got)
			}
		}
	}
}

// While NATS is down, a send to a room owned by another node is refused
// with unavailable, never acknowledged falsely; once NATS is back the
// nodes recover by themselves and the same conversation works again.
func TestClusterNATSOutage(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{ns.URL()}, st, nodeOptions{})

	alice, bob := a.dial("alice"), b.dial("bob")
	cvA, err := chatclient.DM(ctx(t), alice, "bob")
	if err != nil {
		t.Fatal(err)
	}
	cvB, err := chatclient.DM(ctx(t), bob, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cvB.Send(ctx(t), "before"); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	ns.Stop()
	t.Logf("stopped in %v", time.Since(t0))
	eventually(t, "b to see NATS down", func() bool { return !b.nc.IsConnected() })
	_, err = cvB.Send(ctx(t), "during")
	var ce *codec.Error
	if !errors.As(err, &ce) || ce.Code != codec.CodeUnavailable {
		t.Fatalf("send while NATS is down: %v, want unavailable", err)
	}
	t.Logf("refused at %v", time.Since(t0))
	ns.Restart(t)
	back := time.Now()
	t.Logf("restarted at %v", time.Since(t0))
	eventually(t, "a send after NATS is back", func() bool {
		_, err := cvB.Send(ctx(t), "after", client.WithClientMsgID("after-1"))
		if err != nil {
			t.Logf("%v after the restart: %v", time.Since(back).Round(time.Millisecond), err)
		}
		return err == nil
	})
	t.Logf("recovered %v after NATS came back", time.Since(back).Round(time.Millisecond))
	eventually(t, "both nodes reconnected", func() bool { return a.nc.IsConnected() && b.nc.IsConnected() })
	if _, err := cvA.Send(ctx(t), "alice after"); err != nil {
		t.Fatal(err)
	}
	log, err := st.chat.History(ctx(t), cvA.ID(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range log {
		got = append(got, m.Text)
	}
	if !slices.Equal(got, []string{"before", "after", "alice after"}) {
		t.Fatalf("log %q", got)
	}
}

// A forwarded join that names no session, or one too long for an
// envelope, is refused with bad_request before any room is touched.
func TestClusterMalformedForwardedJoin(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{ns.URL()}, st, nodeOptions{})
	id := a.srv.Engine.UserChannelID("alice")
	for _, sid := range []string{"", strings.Repeat("s", 256)} {
		answered := make(chan error, 1)
		err := b.cluster.Join("a", &engine.ClusterJoin{Room: id, Kind: engine.UserKind, User: "alice", Session: sid, Node: "b"},
			func(err error) { answered <- err })
		if err == nil {
			select {
			case err = <-answered:
			case <-time.After(5 * time.Second):
				t.Fatal("no answer to a malformed join within 5 s")
			}
		}
		var ce *codec.Error
		if !errors.As(err, &ce) || ce.Code != codec.CodeBadRequest {
			t.Fatalf("session of %d bytes: %v, want bad_request", len(sid), err)
		}
	}
	if a.owns(id) {
		t.Fatal("a malformed join started a room")
	}
}

// Notify from another node reports what the channel's node answers: a
// user with no channel anywhere (even with a session) is offline, and the
// recipient's rate limit holds cluster-wide, for that recipient alone.
func TestClusterNotifyAnswersAcrossNodes(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{ns.URL()}, st, nodeOptions{})
	c := startNode(t, "c", []string{ns.URL()}, st, nodeOptions{})

	if err := b.srv.Engine.Notify("nobody", "ping", nil); !errors.Is(err, engine.ErrNotifyOffline) {
		t.Fatalf("notify a user with no session: %v, want ErrNotifyOffline", err)
	}
	wsConnect(t, a, "dave", "") // a session, but no channel
	if err := b.srv.Engine.Notify("dave", "ping", nil); !errors.Is(err, engine.ErrNotifyOffline) {
		t.Fatalf("notify a user with no channel: %v, want ErrNotifyOffline", err)
	}

	// alice's and carol's channels run on a; b and c notify alice
	// until her bucket is empty.
	onA, _ := wsConnect(t, a, "alice", "")
	if _, err := onA.Join(2, engine.UserKind, nil); err != nil {
		t.Fatal(err)
	}
	carol, _ := wsConnect(t, a, "carol", "")
	if _, err := carol.Join(2, engine.UserKind, nil); err != nil {
		t.Fatal(err)
	}
	sent := 0
	for i := 0; ; i++ {
		from := []*node{b, c}[i%2].srv.Engine
		err := from.Notify("alice", "ping", nil)
		if errors.Is(err, engine.ErrNotifyRateLimited) {
			break
		}
		if err != nil {
			t.Fatalf("notify %d: %v", i, err)
		}
		// One bucket for both senders: the burst and what refills meanwhile.
		if sent++; sent > engine.DefaultNotifyBurst+5 {
			t.Fatalf("%d notifications from two nodes, none rate limited", sent)
		}
	}
	if sent < engine.DefaultNotifyBurst {
		t.Fatalf("rate limited after %d notifications, want at least the burst %d", sent, engine.DefaultNotifyBurst)
	}
	// The channel's own node shares the bucket too.
	for {
		err := a.srv.Engine.Notify("alice", "ping", nil)
		if errors.Is(err, engine.ErrNotifyRateLimited) {
			break
		}
		if sent++; err != nil || sent > engine.DefaultNotifyBurst+5 {
			t.Fatalf("notify on the channel's node after the others emptied the bucket: %v (%d sent)", err, sent)
		}
	}
	// A bystander is not touched by alice's limit.
	if err := b.srv.Engine.Notify("carol", "hello", nil); err != nil {
		t.Fatalf("notify carol: %v", err)
	}
	if _, err := carol.ReadUntil(5*time.Second, func(f *codec.Frame) bool { return f.Type == codec.TypeEvent && f.Event == "hello" }); err != nil {
		t.Fatal(err)
	}
	got := 0
	_, err := onA.ReadUntil(5*time.Second, func(f *codec.Frame) bool {
		if f.Type == codec.TypeEvent && f.Event == "ping" {
			got++
		}
		return got == sent
	})
	if err != nil {
		t.Fatalf("alice got %d of the %d accepted notifications: %v", got, sent, err)
	}
}

// DisconnectUser and DisconnectCredential on one node close the user's
// connections on every node with the code given, and leave another
// credential's connections and another user's alone; RenewCredential on
// one node renews the credential on every node.
func TestClusterDisconnectAcrossNodes(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	opts := nodeOptions{credential: true}
	a := startNode(t, "a", []string{ns.URL()}, st, opts)
	b := startNode(t, "b", []string{ns.URL()}, st, opts)
	dial := func(n *node, user, cred string) *wstest.Conn {
		t.Helper()
		c, err := wstest.Dial(n.addr(), wstest.Options{Target: "/?user=" + user + "&cred=" + cred})
		if err != nil {
			t.Fatalf("dial %s on %s: %v", user, n.name, err)
		}
		t.Cleanup(func() { _ = c.Close() })
		if _, err := c.Connect(1, "clustertest", ""); err != nil {
			t.Fatalf("connect %s on %s: %v", user, n.name, err)
		}
		return c
	}
	closedWith := func(c *wstest.Conn, who string, code uint16) {
		t.Helper()
		res, err := c.ReadUntil(5*time.Second, nil)
		if err != nil {
			t.Fatalf("%s: %v", who, err)
		}
		if res.CloseCode != code {
			t.Fatalf("%s closed with %d %q, want %d", who, res.CloseCode, res.Reason, code)
		}
	}
	open := func(c *wstest.Conn, who string, ref uint64) {
		t.Helper()
		if _, err := c.Join(ref, engine.UserKind, nil); err != nil {
			t.Fatalf("%s is not open: %v", who, err)
		}
	}

	// One browser signs out: its connections on both nodes close.
	laptopA, laptopB := dial(a, "alice", "laptop"), dial(b, "alice", "laptop")
	phoneB := dial(b, "alice", "phone")
	bobB := dial(b, "bob", "laptop") // another user, same credential name
	if n := a.srv.Engine.DisconnectCredential("alice", "laptop", engine.CloseSignedOut, "signed out"); n != 1 {
		t.Fatalf("DisconnectCredential closed %d connections on a, want 1", n)
	}
	closedWith(laptopA, "alice's laptop on a", engine.CloseSignedOut)
	closedWith(laptopB, "alice's laptop on b", engine.CloseSignedOut)
	open(phoneB, "alice's phone on b", 2)
	open(bobB, "bob on b", 2)

	// Sign-out everywhere from b: alice's connections on a close too.
	phoneA := dial(a, "alice", "phone")
	tabletA := dial(a, "alice", "tablet")
	if n := b.srv.Engine.DisconnectUser("alice", engine.CloseSignedOut, "signed out everywhere"); n != 1 {
		t.Fatalf("DisconnectUser closed %d connections on b, want 1", n)
	}
	closedWith(phoneB, "alice's phone on b", engine.CloseSignedOut)
	closedWith(phoneA, "alice's phone on a", engine.CloseSignedOut)
	closedWith(tabletA, "alice's tablet on a", engine.CloseSignedOut)
	open(bobB, "bob on b", 3)

	// A new connection after the order is not closed by it, on either
	// node: the issuing node ignores its own order coming back.
	again := dial(b, "alice", "phone")
	againA := dial(a, "alice", "phone")
	time.Sleep(100 * time.Millisecond) // room for a late order to arrive: none must
	open(again, "alice's new connection on b", 2)
	open(againA, "alice's new connection on a", 2)

	// A token refreshed through a: the renewal reaches b, so that the
	// sign-out of the new token closes the connection b holds with the
	// old one, and no other.
	tokenB := dial(b, "alice", "token-1")
	if n := a.srv.Engine.RenewCredential("alice", "token-1", "token-2"); n != 0 {
		t.Fatalf("RenewCredential moved %d connections on a, want 0", n)
	}
	a.srv.Engine.DisconnectCredential("alice", "token-2", engine.CloseSignedOut, "signed out")
	closedWith(tokenB, "alice's connection on b, its token renewed on a", engine.CloseSignedOut)
	open(again, "alice's phone on b", 3)
	open(againA, "alice's phone on a", 3)
}
