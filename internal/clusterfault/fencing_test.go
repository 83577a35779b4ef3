package clusterfault

import (
	"syscall"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
)

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
	t.Cleanup(func() { logNodes(t, c) })
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
	for _, r := range refusals(members) {
		t.Logf("refused: %s", r)
	}
	// What the paused owner still tries is refused with a code the
	// client retries: its lease moved, or the database ended its idle
	// transaction meanwhile.
	for code, n := range failureCodes(members) {
		if code != string(codec.CodeUnavailable) {
			t.Errorf("%d sends refused with %s around the pause", n, code)
		}
	}
	entries := history(t, members[0].c, room)
	checkLog(t, "group", members, entries)
	checkReceived(t, "group", members, entries)
}
