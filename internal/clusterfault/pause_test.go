package clusterfault

import (
	"encoding/json"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
)

// natsPause is how long TestNATSPausedBriefly stops the NATS servers:
// past a node's silence limit (its NodeTimeout less two heartbeat
// intervals, 1 s by default) by more than a node that reads its last
// heartbeat before the pause late could take off it, so that every node
// is heard again after a silence; and short of the NodeTimeout (1.5 s) by
// more than a heartbeat interval (250 ms), the most another node may
// have last heard of it before the pause, so that no node takes another
// for gone.
const natsPause = 1100 * time.Millisecond

// pauseLeaseTTL is the nodes' lease TTL in TestNATSPausedBriefly. With the
// default 2 s, a lease that no write renewed lately is renewed once a
// third of its TTL is left (0.67 s): a pause that starts then and lasts
// past that ends the room by its owner's clock, which moves its members
// another way. With 4 s a pause of natsPause ends none.
const pauseLeaseTTL = 4 * time.Second

// TestNATSPausedBriefly stops all three NATS servers (SIGSTOP) for a
// little over a second, then lets them go on (SIGCONT), while a group
// spread over the nodes is busy and three DMs, each across two nodes,
// are quiet. Every node hears its own heartbeats come back after a
// silence that other nodes could have taken for its death, so it asks
// the owners of its sessions' rooms which memberships they still hold.
// Nothing was lost on the way (the connections held what was sent), and
// no node took another for gone: every owner holds every membership, no
// client is moved or closed, the group goes on with no gap, and the DMs
// still carry messages both ways. The test logs what the nodes checked.
func TestNATSPausedBriefly(t *testing.T) {
	c := startParlor(t, "-log", "info", "-lease-ttl", pauseLeaseTTL.String())
	t.Cleanup(func() { logNodes(t, c) })
	var reconnects atomic.Int64
	opts := clientOpts(&reconnects)
	members, room := busyGroup(t, c, 6, opts)
	// The first of each pair joins on node i, which takes the DM's lease;
	// the second joins from the next node: every node holds one remote
	// membership at least.
	var dms [][2]*member
	for i, pair := range [][2]string{{"alice", "bob"}, {"carol", "dave"}, {"erin", "fred"}} {
		a := newMember(t, pair[0], c.nodeURL(i, pair[0]), chat.KindDM, chat.DMParams{With: pair[1]}, opts)
		b := newMember(t, pair[1], c.nodeURL((i+1)%3, pair[1]), chat.KindDM, chat.DMParams{With: pair[0]}, opts)
		dms = append(dms, [2]*member{a, b})
	}
	stop := load(t, members)
	if !waitFor(20*time.Second, func() bool { return totalAcked(members) >= 100 }) {
		t.Fatalf("only %d messages acked before the pause", totalAcked(members))
	}

	cont := func() {
		for _, s := range c.nats.servers {
			s.p.signal(syscall.SIGCONT)
		}
	}
	// A test that fails meanwhile must not leave them stopped.
	t.Cleanup(cont)
	// Only what the nodes log from the pause on counts.
	logFrom := make([]int, len(c.nodes))
	for i, n := range c.nodes {
		logFrom[i] = len(n.p.Stderr())
	}
	for _, s := range c.nats.servers {
		s.p.signal(syscall.SIGSTOP)
	}
	time.Sleep(natsPause)
	cont()

	// Every node is heard again after its silence and logs its check.
	var checks []silenceCheck
	if !waitFor(20*time.Second, func() bool {
		checks = checks[:0]
		for i, n := range c.nodes {
			ck, ok := nodeCheck(n.p.Stderr()[logFrom[i]:])
			if !ok {
				return false
			}
			checks = append(checks, ck)
		}
		return true
	}) {
		for i, n := range c.nodes {
			_, ok := nodeCheck(n.p.Stderr()[logFrom[i]:])
			t.Errorf("%s: silence noticed and memberships checked: %v", n.name, ok)
		}
		t.Fatalf("a pause of %v was not taken for a silence by every node", natsPause)
	}
	before := ackCounts(members)
	ackedAgain(t, before, 20, 30*time.Second)
	stop()

	var all, held, moved int
	for i, ck := range checks {
		if d, err := time.ParseDuration(ck.silence); err != nil || d < natsPause-100*time.Millisecond {
			t.Errorf("%s: heard again after %q: not the pause of %v", c.nodes[i].name, ck.silence, natsPause)
		}
		t.Logf("%s: heard again after %s; %d memberships checked with %d owners: %d held, %d moved",
			c.nodes[i].name, ck.silence, ck.Memberships, ck.Owners, ck.Held, ck.Moved)
		all += ck.Memberships
		held += ck.Held
		moved += ck.Moved
	}
	t.Logf("%d memberships checked in all, %d held, %d moved; %d acked; failed sends by code %v",
		all, held, moved, totalAcked(members), failureCodes(members))
	// The group's creator is on node 1, which owns it, and the proxy
	// deals its six members two to a node: four sit on other nodes. Each
	// DM has one member on another node than its owner. A membership
	// that ended some other way before the check would be missing here.
	const remote = 4 + 3
	if moved != 0 || held != all || all != remote {
		t.Errorf("after a pause with nothing lost, %d of %d memberships held and %d moved; want all %d held", held, all, moved, remote)
	}
	if n := reconnects.Load(); n != 0 {
		t.Errorf("%d clients reconnected", n)
	}

	// The DMs go on both ways, with no gap and no rejoin.
	for _, dm := range dms {
		for k, from := range dm {
			to := dm[1-k]
			seen := to.seen()
			if err := from.sendNext(); err != nil {
				t.Fatalf("%s sends to %s after the pause: %v", from.name, to.name, err)
			}
			if !waitFor(10*time.Second, func() bool { return to.seen() > seen }) {
				t.Errorf("%s never got %s's message after the pause", to.name, from.name)
			}
		}
	}
	for _, m := range append(members, dms[0][0], dms[0][1], dms[1][0], dms[1][1], dms[2][0], dms[2][1]) {
		m.mu.Lock()
		rejoined, gaps := m.rejoined, m.gaps
		m.mu.Unlock()
		if rejoined != 0 || len(gaps) != 0 {
			t.Errorf("%s: moved %d times, gaps %v", m.name, rejoined, gaps)
		}
	}
	entries := history(t, members[0].c, room)
	checkLog(t, "group", members, entries)
	checkReceived(t, "group", members, entries)
}

// silenceCheck is what a node logged of its silence and of its check of
// the memberships it held in other nodes' rooms.
type silenceCheck struct {
	silence     string // as the node logged it
	Memberships int    `json:"memberships"`
	Owners      int    `json:"owners"`
	Held        int    `json:"held"`
	Moved       int    `json:"moved"`
}

// nodeCheck reads a node's JSON log (from the pause on) for its first
// silence and the check of memberships that followed it.
func nodeCheck(log string) (silenceCheck, bool) {
	var ck silenceCheck
	for line := range strings.Lines(log) {
		var entry struct {
			Msg string `json:"msg"`
		}
		if json.Unmarshal([]byte(line), &entry) != nil {
			continue
		}
		switch {
		case ck.silence == "" && strings.HasPrefix(entry.Msg, "heard again after "):
			ck.silence, _, _ = strings.Cut(strings.TrimPrefix(entry.Msg, "heard again after "), " ")
		case ck.silence != "" && entry.Msg == "cluster: memberships checked after a silence":
			if json.Unmarshal([]byte(line), &ck) != nil {
				return ck, false
			}
			return ck, true
		}
	}
	return ck, false
}
