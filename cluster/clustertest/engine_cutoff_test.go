package clustertest

import (
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/client/chatclient"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/internal/wstest"
)

// TestClusterCutOffNodeRefusesSends: while bob's node is cut off from NATS,
// his send to the DM that alice's node owns is refused unavailable (not
// held, not applied) and his session stays open; alice, a bystander on the
// owner, goes on. Once the node is back, bob's client, which rejoins moved
// rooms in place, is told the DM moved and joins it again on the same
// connection: it gets alice's message of the outage from the replay of
// that rejoin, without a send of its own and before anything else is
// broadcast in the DM, then her next one, and his next send is stored
// after them. carol, on the same node with reconnects off (so without the
// feature), is closed with 1012 instead.
func TestClusterCutOffNodeRefusesSends(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	natsAddr := strings.TrimPrefix(ns.URL(), "nats://")
	link := wstest.StartProxy(t, natsAddr) // b's way to NATS, to cut
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{"nats://" + link.Addr()}, st, nodeOptions{})
	alice := a.dial("alice")
	cvA, err := chatclient.DM(ctx(t), alice, "bob")
	if err != nil {
		t.Fatal(err)
	}
	cvAC, err := chatclient.DM(ctx(t), alice, "carol")
	if err != nil {
		t.Fatal(err)
	}
	bob, reconnects := dialCounting(b, "bob")
	cvB, err := chatclient.DM(ctx(t), bob, "alice")
	if err != nil {
		t.Fatal(err)
	}
	carol := b.srv.DialOptions("carol", client.Options{Reconnect: client.ReconnectPolicy{Disabled: true}})
	cvC, err := chatclient.DM(ctx(t), carol, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !a.owns(cvA.ID()) || !a.owns(cvAC.ID()) {
		t.Fatal("the DMs do not run on alice's node")
	}
	if _, err := cvB.Send(ctx(t), "before"); err != nil {
		t.Fatal(err)
	}
	readMessages(t, cvB, 1)

	link.SetTarget("127.0.0.1:1")
	link.Cut()
	eventually(t, "b cut off", func() bool { return !b.nc.IsConnected() })
	for _, cv := range []*chatclient.Conversation{cvB, cvC} {
		_, err = cv.Send(ctx(t), "during")
		var ce *codec.Error
		if !errors.As(err, &ce) || ce.Code != codec.CodeUnavailable {
			t.Fatalf("a send while the node is cut off: %v, want code %s", err, codec.CodeUnavailable)
		}
	}
	if bob.State() != client.StateOpen || carol.State() != client.StateOpen {
		t.Fatalf("clients %v and %v while their node is cut off, want open", bob.State(), carol.State())
	}
	if _, err := cvA.Send(ctx(t), "alice meanwhile"); err != nil {
		t.Fatalf("alice, on the owner: %v", err)
	}

	link.SetTarget(natsAddr)
	eventually(t, "b back", func() bool { return b.nc.IsConnected() })
	// bob only listens, and nothing is broadcast in the DM until he has
	// alice's message of the outage: his client learns of the move from
	// the node alone, and the message comes from the replay of his rejoin.
	if got := readMessages(t, cvB, 1); !slices.Equal(got, []uint64{2}) {
		t.Fatalf("bob received seqs %v after the outage, want [2]: alice's message of the outage", got)
	}
	if _, err := cvA.Send(ctx(t), "alice after"); err != nil {
		t.Fatal(err)
	}
	if got := readMessages(t, cvB, 1); !slices.Equal(got, []uint64{3}) {
		t.Fatalf("bob received seq %v next, want [3]: alice's message after the outage", got)
	}
	wantRoomMovedClose(t, carol, "carol")
	m, err := cvB.Send(ctx(t), "bob after", client.WithClientMsgID("bob-after"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Seq != 4 {
		t.Fatalf("bob's send after the outage stored at seq %d, want 4 (the refused send not stored)", m.Seq)
	}
	if n := reconnects.Load(); n != 0 {
		t.Fatalf("bob's client reconnected %d times, want 0: his DM moves in place", n)
	}
}

// TestClusterCutOffLocalRoomMovesInPlace: a DM that runs on dave's node
// stops while the node is cut off from NATS for longer than its lease
// (nobody can renew it). dave's session stays open meanwhile, his sends
// refused unavailable; once the node is back he is told the DM moved,
// joins it again on the same connection, and his next send is stored
// after his earlier one.
func TestClusterCutOffLocalRoomMovesInPlace(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	natsAddr := strings.TrimPrefix(ns.URL(), "nats://")
	link := wstest.StartProxy(t, natsAddr)
	startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{"nats://" + link.Addr()}, st, nodeOptions{})
	dave, reconnects := dialCounting(b, "dave")
	cv, err := chatclient.DM(ctx(t), dave, "erin")
	if err != nil {
		t.Fatal(err)
	}
	if !b.owns(cv.ID()) {
		t.Fatal("dave's DM does not run on his node")
	}
	if _, err := cv.Send(ctx(t), "before"); err != nil {
		t.Fatal(err)
	}

	link.SetTarget("127.0.0.1:1")
	link.Cut()
	eventually(t, "b cut off", func() bool { return !b.nc.IsConnected() })
	eventually(t, "the DM stopped on the cut-off node (its lease ended)", func() bool { return !b.owns(cv.ID()) })
	_, err = cv.Send(ctx(t), "during")
	var ce *codec.Error
	if !errors.As(err, &ce) || ce.Code != codec.CodeUnavailable {
		t.Fatalf("dave's send while his node is cut off: %v, want code %s", err, codec.CodeUnavailable)
	}

	link.SetTarget(natsAddr)
	eventually(t, "b back", func() bool { return b.nc.IsConnected() })
	var last uint64
	eventually(t, "dave's send after the node is back", func() bool {
		m, err := cv.Send(ctx(t), "after", client.WithClientMsgID("dave-after"))
		last = m.Seq
		return err == nil
	})
	if last != 2 {
		t.Fatalf("dave's send after the outage stored at seq %d, want 2", last)
	}
	if n := reconnects.Load(); n != 0 {
		t.Fatalf("dave's client reconnected %d times, want 0: his DM moves in place", n)
	}
}

// dialCounting connects user to n with the tests' client options and
// counts the client's reconnects.
func dialCounting(n *node, user string) (*client.Client, *atomic.Int32) {
	var reconnects atomic.Int32
	opts := fastReconnect()
	opts.OnStateChange = func(sc client.StateChange) {
		if sc.State == client.StateReconnecting {
			reconnects.Add(1)
		}
	}
	return n.srv.DialOptions(user, opts), &reconnects
}

// TestClusterSilentNodeListenersMoveInPlace: frank and gina, on node b,
// only listen to their DMs with alice, which alice's node owns. b is cut
// off from NATS for longer than the node timeout, so a believes it gone
// and takes their sessions out of the DMs; the left envelopes that say
// so are lost on the way to b. Once b is heard again, frank's client
// (which rejoins rooms in place) is told his DM moved and joins it again
// on the same connection: he gets alice's messages of and after the
// outage. gina's client (reconnects off) is closed with 1012. Without
// this, both would stay connected and get nothing more from their DMs.
func TestClusterSilentNodeListenersMoveInPlace(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	natsAddr := strings.TrimPrefix(ns.URL(), "nats://")
	link := wstest.StartProxy(t, natsAddr)
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{"nats://" + link.Addr()}, st, nodeOptions{})
	alice := a.dial("alice")
	cvAF, err := chatclient.DM(ctx(t), alice, "frank")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chatclient.DM(ctx(t), alice, "gina"); err != nil {
		t.Fatal(err)
	}
	frank, reconnects := dialCounting(b, "frank")
	cvF, err := chatclient.DM(ctx(t), frank, "alice")
	if err != nil {
		t.Fatal(err)
	}
	gina := b.srv.DialOptions("gina", client.Options{Reconnect: client.ReconnectPolicy{Disabled: true}})
	if _, err := chatclient.DM(ctx(t), gina, "alice"); err != nil {
		t.Fatal(err)
	}
	if !a.owns(cvAF.ID()) {
		t.Fatal("frank's DM does not run on alice's node")
	}
	if _, err := cvAF.Send(ctx(t), "before"); err != nil {
		t.Fatal(err)
	}
	readMessages(t, cvF, 1)

	gone := a.cluster.NodeGone("b")
	link.SetTarget("127.0.0.1:1")
	link.Cut()
	select {
	case <-gone:
	case <-time.After(15 * time.Second):
		t.Fatal("b, cut off, is not gone for a")
	}
	if _, err := cvAF.Send(ctx(t), "meanwhile"); err != nil {
		t.Fatal(err)
	}
	link.SetTarget(natsAddr)
	eventually(t, "b back", func() bool { return b.nc.IsConnected() })
	if _, err := cvAF.Send(ctx(t), "after"); err != nil {
		t.Fatal(err)
	}
	if got := readMessages(t, cvF, 2); !slices.Equal(got, []uint64{2, 3}) {
		t.Fatalf("frank received seqs %v after the outage, want [2 3]", got)
	}
	if n := reconnects.Load(); n != 0 {
		t.Fatalf("frank's client reconnected %d times, want 0: his DM moves in place", n)
	}
	wantRoomMovedClose(t, gina, "gina")
}

// TestClusterResurfacedKeepsHeldMemberships: b is cut off from NATS for
// longer than its own silence limit but shorter than the others' node
// timeout, so b takes itself for possibly believed gone while the owners
// did not believe it. b asks each owner which memberships it still holds.
// The three DMs run on three owners:
//   - carol's node sent b nothing meanwhile: gina's membership stays as
//     it was (her client, which does not rejoin in place, is not closed
//     and gets the next message);
//   - alice's node lost a message to b, and goes on sending b messages of
//     another DM (to ivy) from the reconnect on, so that b sees the loss
//     as a skipped batch number: frank's membership moves in place and
//     frank gets that message from his rejoin;
//   - dave's node lost only a typing signal, which has no seq, and sends
//     nothing more: b sees that batch missing once the batches read
//     before dave's answer are handed over, and hank's membership moves
//     too (his client is closed with 1012, well before b's forward
//     timeout), although his DM's seq is the one b last got.
func TestClusterResurfacedKeepsHeldMemberships(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	natsAddr := strings.TrimPrefix(ns.URL(), "nats://")
	link := wstest.StartProxy(t, natsAddr)
	// A silence limit of 10 s and a node timeout of 16 s: the silence of
	// a cut of 10.5 s (up to a heartbeat interval more, and the
	// reconnect) falls between the two. The leases outlive the cut.
	opts := nodeOptions{heartbeat: 3 * time.Second, nodeTimeout: 16 * time.Second, leaseTTL: 40 * time.Second}
	a := startNode(t, "a", []string{ns.URL()}, st, opts)
	c := startNode(t, "c", []string{ns.URL()}, st, opts)
	d := startNode(t, "d", []string{ns.URL()}, st, opts)
	// b's forward timeout is long, so that a check that waited for the
	// lost batch to the end (rather than seeing the batches drained)
	// would show in how long hank's close takes.
	optsB := opts
	optsB.forwardTimeout = 8 * time.Second
	b := startNode(t, "b", []string{"nats://" + link.Addr()}, st, optsB)
	owned := func(n *node, owner, with string) *chatclient.Conversation {
		t.Helper()
		cv, err := chatclient.DM(ctx(t), n.dial(owner), with)
		if err != nil {
			t.Fatal(err)
		}
		if !n.owns(cv.ID()) {
			t.Fatalf("%s's DM does not run on %s's node", with, owner)
		}
		return cv
	}
	cvAF, cvCG, cvDH := owned(a, "alice", "frank"), owned(c, "carol", "gina"), owned(d, "dave", "hank")
	cvAI := owned(a, "alice", "ivy")
	if _, err := chatclient.DM(ctx(t), b.dial("ivy"), "alice"); err != nil {
		t.Fatal(err)
	}
	frank, reconnects := dialCounting(b, "frank")
	cvF, err := chatclient.DM(ctx(t), frank, "alice")
	if err != nil {
		t.Fatal(err)
	}
	noReconnect := client.Options{Reconnect: client.ReconnectPolicy{Disabled: true}}
	gina := b.srv.DialOptions("gina", noReconnect)
	cvG, err := chatclient.DM(ctx(t), gina, "carol")
	if err != nil {
		t.Fatal(err)
	}
	hank := b.srv.DialOptions("hank", noReconnect)
	cvH, err := chatclient.DM(ctx(t), hank, "dave")
	if err != nil {
		t.Fatal(err)
	}
	for _, cv := range []*chatclient.Conversation{cvAF, cvCG, cvDH} {
		if _, err := cv.Send(ctx(t), "before"); err != nil {
			t.Fatal(err)
		}
	}
	for _, cv := range []*chatclient.Conversation{cvF, cvG, cvH} {
		readMessages(t, cv, 1)
	}

	gone := a.cluster.NodeGone("b")
	resurfaced := b.cluster.Resurfaced()
	link.SetTarget("127.0.0.1:1")
	link.Cut()
	time.Sleep(time.Second)
	if _, err := cvAF.Send(ctx(t), "meanwhile"); err != nil {
		t.Fatal(err)
	}
	if err := cvDH.Typing(ctx(t), true); err != nil {
		t.Fatal(err)
	}
	time.Sleep(9500 * time.Millisecond)
	link.SetTarget(natsAddr)
	toIvy := make(chan struct{})
	toIvyDone := make(chan struct{})
	sendCtx := ctx(t)
	go func() { // traffic from a to b from the reconnect on
		defer close(toIvyDone)
		for {
			select {
			case <-toIvy:
				return
			case <-time.After(50 * time.Millisecond):
			}
			_, _ = cvAI.Send(sendCtx, "to ivy")
		}
	}()
	defer func() {
		close(toIvy)
		<-toIvyDone
	}()
	select {
	case <-resurfaced:
	case <-time.After(15 * time.Second):
		t.Fatal("b did not take itself for believed gone: the cut was too short to test anything")
	}
	back := time.Now()
	hankClosed := make(chan time.Duration, 1)
	go func() {
		<-hank.Done()
		hankClosed <- time.Since(back)
	}()
	select {
	case <-gone:
		t.Fatal("a believed b gone: the cut was too long to test anything")
	default:
	}
	if got := readMessages(t, cvF, 1); !slices.Equal(got, []uint64{2}) {
		t.Fatalf("frank received seq %v from his rejoin, want [2]", got)
	}
	wantRoomMovedClose(t, hank, "hank")
	if took := <-hankClosed; took > 4*time.Second {
		t.Fatalf("hank's membership moved %v after b was heard again: the check waited for the lost batch until its timeout", took)
	}
	for _, cv := range []*chatclient.Conversation{cvAF, cvCG} {
		if _, err := cv.Send(ctx(t), "after"); err != nil {
			t.Fatal(err)
		}
	}
	if got := readMessages(t, cvF, 1); !slices.Equal(got, []uint64{3}) {
		t.Fatalf("frank received seq %v after his rejoin, want [3]", got)
	}
	if got := readMessages(t, cvG, 1); !slices.Equal(got, []uint64{2}) {
		t.Fatalf("gina received seqs %v after the outage, want [2]", got)
	}
	select {
	case <-gina.Done():
		t.Fatalf("gina's client, whose membership the owner held, was closed: %v", gina.Err())
	default:
	}
	if n := reconnects.Load(); n != 0 {
		t.Fatalf("frank's client reconnected %d times, want 0", n)
	}
	// What b's metrics would show: one silence at least, a gap at least
	// (alice's lost message and dave's typing signal), a request to each
	// owner (the checks among them), and the owners' batches received.
	sb := b.cluster.Stats()
	if !sb.Connected || sb.Silences < 1 || sb.BatchGaps < 1 || sb.Forwarded < 3 || sb.BatchesReceived == 0 {
		t.Fatalf("b's stats: %+v", sb)
	}
	if sa := a.cluster.Stats(); sa.Leases < 1 || sa.BatchesPublished == 0 {
		t.Fatalf("a's stats: %+v", sa)
	}
}
