package clusterfault

import (
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
)

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
		err := m.sendNext()
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
