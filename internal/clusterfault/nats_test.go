package clusterfault

import (
	"testing"
	"time"
)

// TestNATSServerKilled kills one of the three NATS servers with SIGKILL
// while a group is busy: the nodes connected to it reconnect to the
// others, the lease bucket (replicas 3) keeps its quorum, and the group
// goes on. Every acked message is in the log once, in order, and every
// member ends with the whole log.
func TestNATSServerKilled(t *testing.T) {
	c := startParlor(t)
	t.Cleanup(func() { logNodes(t, c) })
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
