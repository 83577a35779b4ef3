package powercut

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
)

// sentMsg is one message a chat member sent.
type sentMsg struct {
	n    int    // its place in the sender's order
	id   string // client message id
	text string
	seq  uint64 // the seq of its ack; 0 if not acked
}

// member is one member of one conversation, sending numbered messages
// with client message ids.
type member struct {
	name string
	c    *client.Client

	mu      sync.Mutex
	acked   []sentMsg
	unacked []sentMsg // sends that returned an error: in flight at the cut
	badAck  []string  // acks that do not describe the message sent, and failures with the server up
}

// conversation is a DM or a group, its members and its epoch at the join.
type conversation struct {
	id      string
	kind    string
	epoch   string
	members []*member
}

// joinParams returns the join parameters of m in the conversation.
func (cv *conversation) joinParams(m *member) any {
	if cv.kind == chat.KindDM {
		for _, o := range cv.members {
			if o != m {
				return chat.DMParams{With: o.name}
			}
		}
	}
	return chat.GroupParams{ID: cv.id}
}

// dial connects user to the server, without reconnecting: a client ends
// with the server. Its events are read and dropped, so that they never
// hold it up.
func dial(t *testing.T, url string) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, url, client.Options{RequestTimeout: 20 * time.Second, Reconnect: client.ReconnectPolicy{Disabled: true}})
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	go func() {
		for range c.Events() {
		}
	}()
	return c
}

// join joins c to a room and returns the reply.
func join(t *testing.T, c *client.Client, kind string, params any) *client.Room {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := c.Join(ctx, kind, params)
	if err != nil {
		t.Fatalf("join %s: %v", kind, err)
	}
	return r
}

// setupChat opens dms direct conversations and one group of groupSize
// members, each member on a connection of its own.
func setupChat(t *testing.T, srv *server, prefix string, dms, groupSize int) []*conversation {
	t.Helper()
	var convs []*conversation
	for i := range dms {
		a := &member{name: fmt.Sprintf("%s-dm%da", prefix, i)}
		b := &member{name: fmt.Sprintf("%s-dm%db", prefix, i)}
		a.c, b.c = dial(t, srv.URL(a.name)), dial(t, srv.URL(b.name))
		ja := join(t, a.c, chat.KindDM, chat.DMParams{With: b.name})
		jb := join(t, b.c, chat.KindDM, chat.DMParams{With: a.name})
		if ja.Room != jb.Room || ja.Epoch != jb.Epoch || ja.Epoch == "" {
			t.Fatalf("the two sides of a DM joined %s (epoch %q) and %s (epoch %q)", ja.Room, ja.Epoch, jb.Room, jb.Epoch)
		}
		convs = append(convs, &conversation{id: ja.Room, kind: chat.KindDM, epoch: ja.Epoch, members: []*member{a, b}})
	}
	var ms []*member
	var names []string
	for j := range groupSize {
		ms = append(ms, &member{name: fmt.Sprintf("%s-g%d", prefix, j)})
		names = append(names, ms[j].name)
		ms[j].c = dial(t, srv.URL(ms[j].name))
	}
	g := join(t, ms[0].c, chat.KindGroup, chat.GroupParams{Create: &chat.CreateGroup{Name: prefix, Members: names[1:]}})
	for _, m := range ms[1:] {
		if j := join(t, m.c, chat.KindGroup, chat.GroupParams{ID: g.Room}); j.Epoch != g.Epoch {
			t.Fatalf("%s joined the group with epoch %q, its creator with %q", m.name, j.Epoch, g.Epoch)
		}
	}
	return append(convs, &conversation{id: g.Room, kind: chat.KindGroup, epoch: g.Epoch, members: ms})
}

// sendLoop sends numbered messages, one at a time, until stop is closed or
// a send fails (the server is gone).
func (m *member) sendLoop(room string, stop <-chan struct{}, inflight *atomic.Int64) {
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		s := sentMsg{n: n, id: fmt.Sprintf("%s-%d", m.name, n), text: fmt.Sprintf("%s says %d", m.name, n)}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		inflight.Add(1)
		rep, err := m.c.Send(ctx, room, chat.OpSend, chat.SendRequest{Text: s.text}, client.WithClientMsgID(s.id))
		inflight.Add(-1)
		cancel()
		var stored chat.Message
		if err == nil {
			err = rep.Decode(&stored)
		}
		m.mu.Lock()
		if err != nil {
			m.unacked = append(m.unacked, s)
			if !ended(m.c) {
				m.badAck = append(m.badAck, fmt.Sprintf("%s failed with the server up: %v", s.id, err))
			}
		} else {
			s.seq = stored.Seq
			m.acked = append(m.acked, s)
			if stored.ClientMsgID != s.id || stored.From != m.name || stored.Text != s.text || stored.Seq == 0 {
				m.badAck = append(m.badAck, fmt.Sprintf("%s acked as %+v", s.id, stored))
			}
		}
		m.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// chatAcked sums the acked messages of every member.
func chatAcked(convs []*conversation) int {
	n := 0
	for _, cv := range convs {
		for _, m := range cv.members {
			m.mu.Lock()
			n += len(m.acked)
			m.mu.Unlock()
		}
	}
	return n
}

// history pages a conversation's whole log over the wire, oldest first.
func history(t *testing.T, c *client.Client, room string) []chat.Message {
	t.Helper()
	var all []chat.Message
	before := uint64(0)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		rep, err := c.Send(ctx, room, chat.OpHistory, chat.HistoryRequest{Before: before, Limit: 100})
		cancel()
		var page chat.HistoryPage
		if err == nil {
			err = rep.Decode(&page)
		}
		if err != nil {
			t.Fatalf("history: %v", err)
		}
		all = append(slices.Clone(page.Messages), all...)
		if !page.More || len(page.Messages) == 0 {
			return all
		}
		before = page.Messages[0].Seq
	}
}

// verifyChat checks a conversation after the cut, on the restarted
// server: a member joins it again with the epoch of the first join; its
// log runs from seq 1 without gaps; every acked message is in it exactly
// once, at the seq of its ack, with its text; a message in flight at the
// cut is in it at most once; every message in it was sent by a member,
// each sender's in the order sent; and a new message is acked at the
// seq after the log's head. It returns how many of the messages in flight
// at the cut are in the log and how many are not.
func verifyChat(t *testing.T, srv *server, cv *conversation) (present, absent int) {
	t.Helper()
	m0 := cv.members[0]
	c := dial(t, srv.URL(m0.name))
	j := join(t, c, cv.kind, cv.joinParams(m0))
	if j.Epoch != cv.epoch {
		t.Errorf("%s %s: epoch %q after the cut, %q before", cv.kind, cv.id, j.Epoch, cv.epoch)
	}
	entries := history(t, c, cv.id)
	for i, e := range entries {
		if e.Seq != uint64(i+1) {
			t.Fatalf("%s %s: entry %d has seq %d (the log is not contiguous)", cv.kind, cv.id, i, e.Seq)
		}
	}
	if j.Seq != uint64(len(entries)) {
		t.Errorf("%s %s: joined at seq %d, the log's head is %d", cv.kind, cv.id, j.Seq, len(entries))
	}
	type key struct{ from, id string }
	found := map[key][]chat.Message{}
	for _, e := range entries {
		if e.Kind == chat.KindMessage {
			found[key{e.From, e.ClientMsgID}] = append(found[key{e.From, e.ClientMsgID}], e)
		}
	}
	sent := map[key]sentMsg{}
	for _, m := range cv.members {
		m.mu.Lock()
		for _, s := range m.acked {
			sent[key{m.name, s.id}] = s
			switch got := found[key{m.name, s.id}]; {
			case len(got) == 0:
				t.Errorf("%s %s: %s's acked message %s (seq %d) is missing after the cut", cv.kind, cv.id, m.name, s.id, s.seq)
			case len(got) > 1:
				t.Errorf("%s %s: %s's acked message %s is in the log %d times", cv.kind, cv.id, m.name, s.id, len(got))
			case got[0].Seq != s.seq || got[0].Text != s.text:
				t.Errorf("%s %s: %s's message %s was acked at seq %d with %q; the log has seq %d with %q", cv.kind, cv.id, m.name, s.id, s.seq, s.text, got[0].Seq, got[0].Text)
			}
		}
		for _, s := range m.unacked {
			sent[key{m.name, s.id}] = s
			switch n := len(found[key{m.name, s.id}]); {
			case n > 1:
				t.Errorf("%s %s: %s's unacked message %s is in the log %d times", cv.kind, cv.id, m.name, s.id, n)
			case n == 1:
				present++
			default:
				absent++
			}
		}
		for _, b := range m.badAck {
			t.Errorf("%s %s: %s", cv.kind, cv.id, b)
		}
		m.mu.Unlock()
	}
	last := map[string]int{}
	for _, e := range entries {
		if e.Kind != chat.KindMessage {
			continue
		}
		s, ok := sent[key{e.From, e.ClientMsgID}]
		if !ok {
			t.Errorf("%s %s: seq %d from %s with id %q was never sent", cv.kind, cv.id, e.Seq, e.From, e.ClientMsgID)
			continue
		}
		if prev, seen := last[e.From]; seen && s.n <= prev {
			t.Errorf("%s %s: %s's message %d is at seq %d, after its message %d", cv.kind, cv.id, e.From, s.n, e.Seq, prev)
		}
		last[e.From] = s.n
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rep, err := c.Send(ctx, cv.id, chat.OpSend, chat.SendRequest{Text: "after the cut"}, client.WithClientMsgID(m0.name+"-after"))
	var stored chat.Message
	if err == nil {
		err = rep.Decode(&stored)
	}
	if err != nil || stored.Seq != uint64(len(entries))+1 {
		t.Errorf("%s %s: a send after the cut: seq %d, %v; want seq %d", cv.kind, cv.id, stored.Seq, err, len(entries)+1)
	}
	return present, absent
}
