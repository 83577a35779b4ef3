package clusterfault

import (
	"syscall"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
)

// TestNATSServerKilled kills one of the three NATS servers with SIGKILL
// while a group is busy: the nodes connected to it reconnect to the
// others, the lease bucket (replicas 3) keeps its quorum, and the group
// goes on. Every acked message is in the log once, in order, and every
// member ends with the whole log.
func TestNATSServerKilled(t *testing.T) {
	c := startParlor(t)
	members, room := busyGroup(t, c, 6, clientOpts(nil))
	stop := load(t, members)
	if !waitFor(20*time.Second, func() bool { return totalAcked(members) >= 200 }) {
		t.Fatalf("only %d messages acked before the kill", totalAcked(members))
	}
	before := ackCounts(members)
	c.nats.kill(0)
	ackedAgain(t, before, 50, 30*time.Second)
	stop()
	t.Logf("%d acked in all; failed sends by code %v", totalAcked(members), failureCodes(members))
	entries := history(t, members[0].c, room)
	checkLog(t, "group", members, entries)
	checkReceived(t, "group", members, entries)
}

// TestNATSOutage stops all three NATS servers while a group is busy.
// Meanwhile every send is refused with unavailable (nothing is held for
// an unknown time), and the nodes stay up. When the servers are back, the
// nodes reconnect by themselves and the group serves again; every acked
// message is in the log once, in order, and every member ends with the
// whole log.
func TestNATSOutage(t *testing.T) {
	c := startParlor(t)
	members, room := busyGroup(t, c, 6, clientOpts(nil))
	stop := load(t, members)
	if !waitFor(20*time.Second, func() bool { return totalAcked(members) >= 200 }) {
		t.Fatalf("only %d messages acked before the outage", totalAcked(members))
	}
	c.nats.stopAll()
	// Past the lease TTL no node may still act as the owner.
	time.Sleep(3 * time.Second)
	stop()
	during := totalAcked(members)
	refused := 0
	for _, m := range members {
		err := m.send(1_000_000)
		switch {
		case err == nil:
			t.Errorf("%s: a send was acked while NATS was down", m.name)
		case errCode(err) != string(codec.CodeUnavailable):
			t.Errorf("%s: a send during the outage failed with %q, want %q", m.name, errCode(err), codec.CodeUnavailable)
		default:
			refused++
		}
	}
	for i, n := range c.nodes {
		if n.p.exited() {
			t.Fatalf("node %d exited during the NATS outage: %s", i+1, n.p.Stderr())
		}
	}
	for i := range c.nats.servers {
		c.nats.start(i)
	}
	for i := range c.nats.servers {
		c.nats.waitHealthy(i)
	}
	before := ackCounts(members)
	stop = load(t, members)
	ackedAgain(t, before, 20, 30*time.Second)
	stop()
	t.Logf("%d acked before the outage, %d sends refused during it, %d acked in all; failed sends by code %v",
		during, refused, totalAcked(members), failureCodes(members))
	entries := history(t, members[0].c, room)
	checkLog(t, "group", members, entries)
	checkReceived(t, "group", members, entries)
}

// TestPausedOwnerFenced stops the owner of a busy group with SIGSTOP until
// its lease has moved to another node, lets the group go on there, then
// resumes it with SIGCONT. Whatever the paused owner still tries to write
// is refused by the store's seq check: the log stays contiguous, every
// acked message is in it once, nothing is doubled, and every member ends
// with the whole log.
func TestPausedOwnerFenced(t *testing.T) {
	c := startParlor(t)
	members, room := busyGroup(t, c, 6, clientOpts(nil))
	owner := c.owner(room, 5*time.Second)
	if owner < 0 {
		t.Fatal("no node holds the group's lease")
	}
	stop := load(t, members)
	if !waitFor(20*time.Second, func() bool { return totalAcked(members) >= 200 }) {
		t.Fatalf("only %d messages acked before the pause", totalAcked(members))
	}
	paused := c.nodes[owner]
	paused.p.signal(syscall.SIGSTOP)
	stopped := time.Now()
	moved := -1
	waitFor(20*time.Second, func() bool {
		moved = c.owner(room, time.Second)
		return moved >= 0 && moved != owner
	})
	if moved < 0 || moved == owner {
		paused.p.signal(syscall.SIGCONT)
		t.Fatalf("the lease did not move within 20s of the owner's pause")
	}
	t.Logf("the lease moved from %s to %s %v after SIGSTOP", paused.name, c.nodes[moved].name, time.Since(stopped).Round(time.Millisecond))
	// The members on the other nodes go on with the new owner.
	ackedAt := totalAcked(members)
	if !waitFor(20*time.Second, func() bool { return totalAcked(members) >= ackedAt+100 }) {
		paused.p.signal(syscall.SIGCONT)
		t.Fatalf("the group did not go on under its new owner")
	}
	paused.p.signal(syscall.SIGCONT)
	before := ackCounts(members)
	ackedAgain(t, before, 20, 30*time.Second)
	stop()
	t.Logf("%d acked in all; failed sends by code %v", totalAcked(members), failureCodes(members))
	entries := history(t, members[0].c, room)
	checkLog(t, "group", members, entries)
	checkReceived(t, "group", members, entries)
}
