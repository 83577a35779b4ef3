package engine

import (
	"context"
	"testing"
	"time"

	"github.com/parlorhq/parlor/internal/echo"
)

// A member node forwards a join again when its first forward goes
// unanswered (joinCluster), and both reach the owner behind a busy room,
// sharing one remote session. The first ends its wait and forgets the
// session; the second gets in. The owner must know the member it holds:
// its leave ends the membership, rather than being refused as coming
// from no member (the room would never go idle, the user stay present).
func TestRetriedForwardedJoinKnown(t *testing.T) {
	e, r, _ := ownerWithRemoteMember(t)
	e.cfg.JoinTimeout = 200 * time.Millisecond
	ctx := context.Background()
	gate, busy := make(chan struct{}), make(chan struct{})
	go func() { _ = r.Do(ctx, func() { close(busy); <-gate }) }()
	<-busy
	j := &ClusterJoin{Room: "room", Kind: echo.Kind, User: "v", Session: "sid2", Node: "member", Ref: 1}
	first := make(chan error, 1)
	go func() { first <- e.joinForwarded(j) }()
	time.Sleep(50 * time.Millisecond)
	// The retry, as joinForwarded runs it, with a later deadline.
	j2 := *j
	j2.Ref = 2
	rs := e.remoteSessionFor(&j2)
	second := make(chan error, 1)
	go func() {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		second <- r.JoinFrom(c, rs, j2.Ref, nil, "", 0)
	}()
	if err := <-first; err == nil {
		t.Fatal("the first join got in; want it to end its wait behind the busy room")
	}
	close(gate)
	if err := <-second; err != nil {
		t.Fatalf("the retried join: %v", err)
	}
	if _, known := e.remoteSessions.load(remoteKey("room", "sid2")); !known {
		t.Fatal("the owner holds the member but does not know it")
	}
	left := make(chan error, 1)
	clusterSide{e}.Leave(&ClusterLeave{Room: "room", User: "v", Session: "sid2", Node: "member"}, func(err error) { left <- err })
	if err := <-left; err != nil {
		t.Fatalf("the member's leave: %v", err)
	}
	var member bool
	_ = r.Do(ctx, func() { member = r.IsMember("v") })
	if member {
		t.Fatal("the session is still a member after its leave")
	}
}

// The owner dropped its link to the member node (it took the node for
// gone) and has not yet disconnected the node's session there when the
// session joins again. The rejoin's remote session, on the new link,
// takes the old one's place in the room, so that the room's broadcasts
// go on the link its envelopes take; the gone node's disconnect of the
// old one, queued after, ends the membership as the room holds it, and
// leaves nothing behind.
func TestRejoinAfterLinkDropTakesItsPlace(t *testing.T) {
	e, r, j := ownerWithRemoteMember(t)
	ctx := context.Background()
	rs1, _ := e.remoteSessions.load(remoteKey("room", "sid"))
	e.peers().drop("member")
	j2 := *j
	j2.Ref = 2
	if err := e.joinForwarded(&j2); err != nil {
		t.Fatal(err)
	}
	rs2, _ := e.remoteSessions.load(remoteKey("room", "sid"))
	if rs2 == rs1 || rs2.link == rs1.link {
		t.Fatal("the rejoin reused the remote session on the dropped link")
	}
	or, _ := e.fanout.(*clusterFanout).rooms.load("room")
	if links := *or.links.Load(); len(links) != 1 || links[0] != rs2.link {
		t.Fatalf("the room's broadcasts go on %d links, the rejoin's link among them: %v; want only the rejoin's", len(links), len(links) > 0 && links[0] == rs2.link)
	}
	r.Disconnect(rs1) // the gone node's disconnect, queued after the rejoin
	var member bool
	_ = r.Do(ctx, func() { member = r.IsMember("u") })
	if member {
		t.Fatal("the disconnect of the session's old value left it a member")
	}
	if _, known := e.remoteSessions.load(remoteKey("room", "sid")); known {
		t.Fatal("the remote session of the rejoin is kept after the membership ended")
	}
	if or, ok := e.fanout.(*clusterFanout).rooms.load("room"); ok && len(*or.links.Load()) != 0 {
		t.Fatalf("the room's broadcasts still go on %d links with no member", len(*or.links.Load()))
	}
}
