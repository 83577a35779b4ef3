package clusterfault

import (
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
)

// TestCrossNodeChat: alice, bob and carol each sit on a node of their
// own. alice and bob talk in a DM, all three in a group. Every member
// receives every message once and in order, the logs read from each node
// are the same, and typing and read receipts cross the nodes.
func TestCrossNodeChat(t *testing.T) {
	c := startParlor(t)
	opts := clientOpts(nil)

	alice := newMember(t, "alice", c.nodeURL(0, "alice"), chat.KindDM, chat.DMParams{With: "bob"}, opts)
	bob := newMember(t, "bob", c.nodeURL(1, "bob"), chat.KindDM, chat.DMParams{With: "alice"}, opts)
	if alice.room != bob.room {
		t.Fatal("the two sides of the DM joined different rooms")
	}
	dm := []*member{alice, bob}
	for n := range 20 {
		for _, m := range dm {
			if err := m.sendNext(); err != nil {
				t.Fatalf("%s sends %d in the DM: %v", m.name, n, err)
			}
		}
	}
	if _, err := alice.c.Send(ctxTimeout(t, 10*time.Second), alice.room, chat.OpTyping, chat.TypingRequest{}); err != nil {
		t.Fatalf("alice types: %v", err)
	}
	if !waitFor(10*time.Second, func() bool {
		return bob.saw(chat.EventTyping, func(ev client.Event) bool {
			var te chat.TypingEvent
			return ev.Decode(&te) == nil && te.User == "alice" && te.Typing
		})
	}) {
		t.Error("bob, on another node, never saw alice typing")
	}
	// bob sent the last message, so alice's receipt is the one to move.
	head := uint64(40)
	if _, err := alice.c.Send(ctxTimeout(t, 10*time.Second), alice.room, chat.OpRead, chat.ReadRequest{Seq: head}); err != nil {
		t.Fatalf("alice reads: %v", err)
	}
	if !waitFor(10*time.Second, func() bool {
		return bob.saw(chat.EventRead, func(ev client.Event) bool {
			var re chat.ReadEvent
			return ev.Decode(&re) == nil && re.User == "alice" && re.Seq == head
		})
	}) {
		t.Error("bob, on another node, never saw alice's read receipt")
	}
	logs := [][]chat.Message{history(t, alice.c, alice.room), history(t, bob.c, bob.room)}
	if !slices.EqualFunc(logs[0], logs[1], sameEntry) {
		t.Error("alice's node and bob's node return different DM logs")
	}
	checkLog(t, "dm", dm, logs[0])
	checkReceived(t, "dm", dm, logs[0])

	creator := dial(t, c.nodeURL(0, "alice"), opts)
	g, err := join(t, creator, chat.KindGroup, chat.GroupParams{Create: &chat.CreateGroup{Name: "three nodes", Members: []string{"bob", "carol"}}})
	if err != nil {
		t.Fatalf("create the group: %v", err)
	}
	var group []*member
	for i, name := range []string{"alice", "bob", "carol"} {
		group = append(group, newMember(t, name, c.nodeURL(i, name), chat.KindGroup, chat.GroupParams{ID: g.Room}, opts))
	}
	for n := range 10 {
		for _, m := range group {
			if err := m.sendNext(); err != nil {
				t.Fatalf("%s sends %d in the group: %v", m.name, n, err)
			}
		}
	}
	var glogs [][]chat.Message
	for _, m := range group {
		glogs = append(glogs, history(t, m.c, m.room))
	}
	for i := 1; i < len(glogs); i++ {
		if !slices.EqualFunc(glogs[0], glogs[i], sameEntry) {
			t.Errorf("node %d returns a different group log than node 1", i+1)
		}
	}
	checkLog(t, "group", group, glogs[0])
	checkReceived(t, "group", group, glogs[0])
}

// sameEntry reports whether two log entries are the same.
func sameEntry(a, b chat.Message) bool {
	return a.Seq == b.Seq && a.Kind == b.Kind && a.From == b.From && a.Text == b.Text && a.ClientMsgID == b.ClientMsgID
}

// saw reports whether m received an ephemeral event name that ok accepts.
func (m *member) saw(name string, ok func(client.Event) bool) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, ev := range m.other {
		if ev.Name == name && ok(ev) {
			return true
		}
	}
	return false
}

// TestKill9BusyGroup kills a node with SIGKILL while six members, two on
// each node through the proxy, send to one group as fast as acks come
// back: the room's owner, and in a second run a node that holds members
// but not the room. The members on the dead node reconnect through the
// proxy to the others and resume; the room serves again (for the owner,
// on another node, rebuilt from PostgreSQL) and the time from the kill to
// the first ack is logged. Every acked message is in the log once, in
// order, and every member ends with the whole log, received once each,
// in order.
func TestKill9BusyGroup(t *testing.T) {
	for _, tc := range []struct {
		name   string
		victim func(owner int) int
	}{
		{"owner", func(owner int) int { return owner }},
		{"member node", func(owner int) int { return (owner + 1) % 3 }},
	} {
		t.Run(tc.name, func(t *testing.T) { kill9BusyGroup(t, tc.victim) })
	}
}

func kill9BusyGroup(t *testing.T, victim func(owner int) int) {
	c := startParlor(t)
	var reconnects atomic.Int64
	members, room := busyGroup(t, c, 6, clientOpts(&reconnects))
	owner := c.owner(room, 5*time.Second)
	if owner < 0 {
		t.Fatal("no node holds the group's lease")
	}
	v := victim(owner)
	stop := load(t, members)
	if !waitFor(20*time.Second, func() bool { return totalAcked(members) >= 200 }) {
		t.Fatalf("only %d messages acked before the kill", totalAcked(members))
	}
	before := ackCounts(members)
	c.nodes[v].p.kill()
	killed := time.Now()
	ackedAtKill := totalAcked(members)
	var serving time.Duration
	if !waitFor(20*time.Second, func() bool { return totalAcked(members) > ackedAtKill }) {
		t.Fatalf("no message acked within 20s of the kill of %s (owner: %s)", c.nodes[v].name, c.nodes[owner].name)
	}
	serving = time.Since(killed)
	ackedAgain(t, before, 20, 30*time.Second)
	stop()
	newOwner := c.owner(room, 5*time.Second)
	failures := failureCodes(members)
	t.Logf("killed %s (owner %s, now %s): first ack %v after the kill; %d acked before, %d in all; %d reconnects; failed sends by code %v",
		c.nodes[v].name, c.nodes[owner].name, nodeName(c, newOwner), serving.Round(time.Millisecond),
		ackedAtKill, totalAcked(members), reconnects.Load(), failures)
	if v == owner && serving > 10*time.Second {
		t.Errorf("the room served again %v after its owner's death (target 3s)", serving)
	}
	entries := history(t, members[0].c, room)
	checkLog(t, "group", members, entries)
	checkReceived(t, "group", members, entries)
	if reconnects.Load() < 2 {
		t.Errorf("%d reconnects: the two members on the killed node should have reconnected", reconnects.Load())
	}
}

// nodeName names node i, or "none".
func nodeName(c *parlor, i int) string {
	if i < 0 {
		return "none"
	}
	return c.nodes[i].name
}

// busyGroup creates a group of n members who join it through the proxy,
// so that round robin spreads them over the nodes, and returns them and
// the group's id.
func busyGroup(t *testing.T, c *parlor, n int, opts client.Options) ([]*member, string) {
	t.Helper()
	var names []string
	for i := range n {
		names = append(names, fmt.Sprint("m", i))
	}
	creator := dial(t, c.nodeURL(0, names[0]), opts)
	g, err := join(t, creator, chat.KindGroup, chat.GroupParams{Create: &chat.CreateGroup{Name: "busy", Members: names[1:]}})
	if err != nil {
		t.Fatalf("create the group: %v", err)
	}
	_ = creator.Close()
	var members []*member
	for _, name := range names {
		members = append(members, newMember(t, name, c.proxyURL(name), chat.KindGroup, chat.GroupParams{ID: g.Room}, opts))
	}
	return members, g.Room
}

// ackedAgain waits until every member has n more acks than in before.
func ackedAgain(t *testing.T, before map[*member]int, n int, timeout time.Duration) {
	t.Helper()
	if waitFor(timeout, func() bool {
		for m, k := range before {
			if m.ackCount() < k+n {
				return false
			}
		}
		return true
	}) {
		return
	}
	for m, k := range before {
		m.mu.Lock()
		failures := maps.Clone(m.failures)
		m.mu.Unlock()
		t.Errorf("%s: %d acks before, %d after; failed sends by code %v", m.name, k, m.ackCount()-k, failures)
	}
	t.FailNow()
}

// ackCounts returns each member's acks so far.
func ackCounts(members []*member) map[*member]int {
	out := map[*member]int{}
	for _, m := range members {
		out[m] = m.ackCount()
	}
	return out
}

// refusals returns the members' first refusals, with their time and text.
func refusals(members []*member) []string {
	var out []string
	for _, m := range members {
		m.mu.Lock()
		out = append(out, m.refusals...)
		m.mu.Unlock()
	}
	return out
}

// failureCodes sums the members' failed sends by error code.
func failureCodes(members []*member) map[string]int {
	out := map[string]int{}
	for _, m := range members {
		m.mu.Lock()
		for code, n := range m.failures {
			out[code] += n
		}
		m.mu.Unlock()
	}
	return out
}
