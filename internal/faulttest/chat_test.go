package faulttest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/boltstore"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
)

// chatFlags are the fault server's flags for the chat tests: no rate
// limits, so that senders can go as fast as acks come back, and a replay
// limit above anything a member can miss while the others, back first,
// already send again (by default chat replays at most 200 entries from
// its store, and a member that missed more gets a fresh snapshot, which
// the protocol allows but which TestKill9MidChat counts as a failure).
var chatFlags = []string{"-rate-limit", "-1", "-chat-rate", "-1", "-chat-replay-limit", "100000"}

// sentMsg is one message a test client sent.
type sentMsg struct {
	n    int    // the sender's counter: its position in the sender's order
	id   string // client message id
	text string
	seq  uint64 // the seq in the ack; 0 if not acked
}

// chatUser is one member of one conversation: it sends numbered messages
// with client message ids and checks the stream of ordered events it
// receives.
type chatUser struct {
	name string
	c    *client.Client
	room string

	mu      sync.Mutex
	acked   []sentMsg // in send order
	unacked []sentMsg // sends that returned an error
	badAck  []string  // acks that do not describe the message sent

	// The receiving side (its reader goroutine; read after it is done or
	// under mu).
	lastSeq  uint64         // last ordered seq seen
	recv     map[uint64]int // message events received, by seq
	gaps     []string       // ordered events that were not lastSeq+1
	rejoined int            // EventRejoined notices: resumes without replay
	readDone chan struct{}
}

// chatRoom is one conversation and its members.
type chatRoom struct {
	id      string
	kind    string
	members []*chatUser
}

// setupChat dials and joins dms direct conversations and groups groups of
// groupSize members, with opts for every client. Group creators create
// their group on a connection of their own, so that the members' clients,
// which join again after a reconnect with their original parameters, all
// joined with the group's id.
func setupChat(t *testing.T, url func(user string) string, opts client.Options, dms, groups, groupSize int) []*chatRoom {
	t.Helper()
	dial := func(user string) *client.Client {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := client.Dial(ctx, url(user), opts)
		if err != nil {
			t.Fatalf("dial %s: %v", user, err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	join := func(u *chatUser, kind string, params any) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		j, err := u.c.Join(ctx, kind, params)
		if err != nil {
			t.Fatalf("%s joins %s: %v", u.name, kind, err)
		}
		u.room, u.lastSeq = j.Room, j.Seq
	}
	var rooms []*chatRoom
	for i := range dms {
		a := &chatUser{name: fmt.Sprintf("dm%da", i)}
		b := &chatUser{name: fmt.Sprintf("dm%db", i)}
		for _, u := range []*chatUser{a, b} {
			u.c = dial(u.name)
		}
		join(a, chat.KindDM, chat.DMParams{With: b.name})
		join(b, chat.KindDM, chat.DMParams{With: a.name})
		if a.room != b.room {
			t.Fatalf("the two sides of a DM joined different rooms")
		}
		rooms = append(rooms, &chatRoom{id: a.room, kind: chat.KindDM, members: []*chatUser{a, b}})
	}
	for i := range groups {
		var users []*chatUser
		var names []string
		for j := range groupSize {
			users = append(users, &chatUser{name: fmt.Sprintf("g%dm%d", i, j)})
			names = append(names, users[j].name)
		}
		creator := dial(names[0])
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		j, err := creator.Join(ctx, chat.KindGroup, chat.GroupParams{Create: &chat.CreateGroup{Name: fmt.Sprintf("group %d", i), Members: names[1:]}})
		cancel()
		if err != nil {
			t.Fatalf("create group: %v", err)
		}
		_ = creator.Close()
		for _, u := range users {
			u.c = dial(u.name)
			join(u, chat.KindGroup, chat.GroupParams{ID: j.Room})
		}
		rooms = append(rooms, &chatRoom{id: j.Room, kind: chat.KindGroup, members: users})
	}
	for _, r := range rooms {
		for _, u := range r.members {
			u.recv = map[uint64]int{}
			u.readDone = make(chan struct{})
			go u.read()
		}
	}
	return rooms
}

// read follows the client's events for its room until the client ends.
func (u *chatUser) read() {
	defer close(u.readDone)
	for ev := range u.c.Events() {
		if ev.Room != u.room {
			continue
		}
		u.mu.Lock()
		switch {
		case ev.Name == client.EventRejoined:
			u.rejoined++
			u.lastSeq = ev.Seq
		case ev.Left:
		case ev.Seq > 0:
			if ev.Seq != u.lastSeq+1 {
				u.gaps = append(u.gaps, fmt.Sprintf("%d after %d", ev.Seq, u.lastSeq))
			}
			u.lastSeq = max(u.lastSeq, ev.Seq)
			if ev.Name == chat.KindMessage {
				u.recv[ev.Seq]++
			}
		}
		u.mu.Unlock()
	}
}

// sendLoop sends numbered messages, one at a time, until stop is closed
// or the client ends. inflight counts the sends under way.
func (u *chatUser) sendLoop(stop <-chan struct{}, inflight *atomic.Int64) {
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		case <-u.c.Done():
			return
		default:
		}
		m := sentMsg{n: n, id: fmt.Sprintf("%s-%d", u.name, n), text: fmt.Sprintf("%s says %d", u.name, n)}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		inflight.Add(1)
		rep, err := u.c.Send(ctx, u.room, chat.OpSend, chat.SendRequest{Text: m.text}, client.WithClientMsgID(m.id))
		inflight.Add(-1)
		cancel()
		var stored chat.Message
		if err == nil {
			err = rep.Decode(&stored)
		}
		u.mu.Lock()
		if err != nil {
			u.unacked = append(u.unacked, m)
		} else {
			m.seq = stored.Seq
			u.acked = append(u.acked, m)
			if stored.ClientMsgID != m.id || stored.From != u.name || stored.Text != m.text || stored.Seq == 0 {
				u.badAck = append(u.badAck, fmt.Sprintf("%s acked as %+v", m.id, stored))
			}
		}
		u.mu.Unlock()
		if err != nil {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// ackCount returns how many of u's messages were acked.
func (u *chatUser) ackCount() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.acked)
}

// runSenders starts every member's send loop and returns a function that
// stops them and waits for them to return (failing the test if they do
// not within timeout).
func runSenders(t *testing.T, rooms []*chatRoom, inflight *atomic.Int64) (stop func(timeout time.Duration)) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, r := range rooms {
		for _, u := range r.members {
			wg.Add(1)
			go func() {
				defer wg.Done()
				u.sendLoop(done, inflight)
			}()
		}
	}
	var once sync.Once
	stop = func(timeout time.Duration) {
		t.Helper()
		once.Do(func() { close(done) })
		finished := make(chan struct{})
		go func() {
			wg.Wait()
			close(finished)
		}()
		select {
		case <-finished:
		case <-time.After(timeout):
			t.Fatalf("senders still sending %v after being stopped (%d sends in flight)", timeout, inflight.Load())
		}
	}
	t.Cleanup(func() { stop(time.Minute) })
	return stop
}

// totalAcked sums the acked messages of every member.
func totalAcked(rooms []*chatRoom) int {
	n := 0
	for _, r := range rooms {
		for _, u := range r.members {
			n += u.ackCount()
		}
	}
	return n
}

// verifyLog checks a conversation's log, entries in seq order, against
// what its members sent: the log is contiguous from seq 1; every acked
// message is in it exactly once, at the seq of its ack, with its text;
// a message that was sent but not acked is in it at most once; every
// message in it was sent by a member; and each sender's messages are in
// the order they were sent.
func verifyLog(t *testing.T, r *chatRoom, entries []chat.Message) {
	t.Helper()
	for i, e := range entries {
		if e.Seq != uint64(i+1) {
			t.Errorf("room %s: entry %d has seq %d, want %d (the log is not contiguous)", r.kind, i, e.Seq, i+1)
			return
		}
	}
	type key struct{ from, id string }
	found := map[key][]chat.Message{}
	for _, e := range entries {
		if e.Kind == chat.KindMessage {
			found[key{e.From, e.ClientMsgID}] = append(found[key{e.From, e.ClientMsgID}], e)
		}
	}
	sent := map[key]sentMsg{}
	for _, u := range r.members {
		u.mu.Lock()
		for _, m := range u.acked {
			sent[key{u.name, m.id}] = m
			got := found[key{u.name, m.id}]
			switch {
			case len(got) == 0:
				t.Errorf("room %s: %s's acked message %s (seq %d) is missing", r.kind, u.name, m.id, m.seq)
			case len(got) > 1:
				t.Errorf("room %s: %s's acked message %s is in the log %d times", r.kind, u.name, m.id, len(got))
			case got[0].Seq != m.seq || got[0].Text != m.text:
				t.Errorf("room %s: %s's message %s was acked at seq %d with %q, the log has seq %d with %q", r.kind, u.name, m.id, m.seq, m.text, got[0].Seq, got[0].Text)
			}
		}
		for _, m := range u.unacked {
			sent[key{u.name, m.id}] = m
			if got := found[key{u.name, m.id}]; len(got) > 1 {
				t.Errorf("room %s: %s's unacked message %s is in the log %d times", r.kind, u.name, m.id, len(got))
			}
		}
		for _, b := range u.badAck {
			t.Errorf("room %s: %s", r.kind, b)
		}
		u.mu.Unlock()
	}
	last := map[string]int{}
	for _, e := range entries {
		if e.Kind != chat.KindMessage {
			continue
		}
		m, ok := sent[key{e.From, e.ClientMsgID}]
		if !ok {
			t.Errorf("room %s: seq %d from %s with id %q was never sent", r.kind, e.Seq, e.From, e.ClientMsgID)
			continue
		}
		if prev, seen := last[e.From]; seen && m.n <= prev {
			t.Errorf("room %s: %s's message %d is at seq %d, after its message %d", r.kind, e.From, m.n, e.Seq, prev)
		}
		last[e.From] = m.n
	}
}

// historyOverWire pages a conversation's whole log with the history
// request, oldest first.
func historyOverWire(t *testing.T, c *client.Client, room string) []chat.Message {
	t.Helper()
	var all []chat.Message
	before := uint64(0)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		rep, err := c.Send(ctx, room, chat.OpHistory, chat.HistoryRequest{Before: before, Limit: 100})
		cancel()
		if err != nil {
			t.Fatalf("history: %v", err)
		}
		var page chat.HistoryPage
		if err := rep.Decode(&page); err != nil {
			t.Fatalf("history: %v", err)
		}
		all = append(slices.Clone(page.Messages), all...)
		if !page.More || len(page.Messages) == 0 {
			return all
		}
		before = page.Messages[0].Seq
	}
}

// historyFromStore reads a conversation's whole log from a store, oldest
// first.
func historyFromStore(t *testing.T, st chat.Store, room string) []chat.Message {
	t.Helper()
	var all []chat.Message
	before := uint64(0)
	for {
		page, err := st.History(context.Background(), room, before, 100)
		if err != nil {
			t.Fatalf("store history: %v", err)
		}
		all = append(slices.Clone(page), all...)
		if len(page) == 0 || page[0].Seq == 1 {
			return all
		}
		before = page[0].Seq
	}
}

// TestKill9MidChat: chat members send messages with client message ids
// continuously; the server is killed with SIGKILL in the middle and
// restarted on the same port and data. The clients reconnect and resume on
// their own, and resend what was not acked. Then the history of every
// conversation has each acked message exactly once, at the seq of its
// ack; nothing acked is missing; unacked sends are there at most once;
// each sender's messages are in order. And every member received every
// message event of its conversation exactly once and in seq order, with
// the missed ones replayed on resume (no rejoin without replay: a chat
// room keeps its epoch across the restart).
func TestKill9MidChat(t *testing.T) {
	data := t.TempDir()
	srv := startServer(t, data, "127.0.0.1:0", chatFlags...)
	addr := srv.Addr
	url := func(user string) string { return "ws://" + addr + "/ws?user=" + user }
	var reconnects atomic.Int64
	opts := client.Options{
		RequestTimeout: 30 * time.Second,
		EventBuffer:    8192,
		Reconnect:      client.ReconnectPolicy{MinDelay: 50 * time.Millisecond, MaxDelay: 500 * time.Millisecond},
		OnStateChange: func(sc client.StateChange) {
			if sc.State == client.StateOpen && sc.Attempt > 0 {
				reconnects.Add(1)
			}
		},
	}
	rooms := setupChat(t, url, opts, 3, 1, 4)
	senders := 0
	for _, r := range rooms {
		senders += len(r.members)
	}
	var inflight atomic.Int64
	stop := runSenders(t, rooms, &inflight)

	if !waitFor(10*time.Second, func() bool { return totalAcked(rooms) >= 100 }) {
		t.Fatalf("only %d messages acked before the kill", totalAcked(rooms))
	}
	time.Sleep(300 * time.Millisecond)
	before := map[*chatUser]int{}
	for _, r := range rooms {
		for _, u := range r.members {
			before[u] = u.ackCount()
		}
	}
	inflightAtKill := inflight.Load()
	srv.kill()
	ackedAtKill := totalAcked(rooms)
	time.Sleep(300 * time.Millisecond) // the clients notice and back off
	srv = startServer(t, data, addr, chatFlags...)

	// Every sender gets acks again: each client reconnected and resumed.
	if !waitFor(20*time.Second, func() bool {
		for u, n := range before {
			if u.ackCount() < n+20 {
				return false
			}
		}
		return true
	}) {
		for u, n := range before {
			if u.ackCount() < n+20 {
				t.Errorf("%s: %d acks before the kill, %d after the restart", u.name, n, u.ackCount()-n)
			}
		}
		t.FailNow()
	}
	stop(30 * time.Second)
	if n := reconnects.Load(); n < int64(senders) {
		t.Errorf("%d reconnects for %d clients", n, senders)
	}
	t.Logf("%d senders; %d acked before SIGKILL with %d sends in flight; %d acked in all; %d reconnects",
		senders, ackedAtKill, inflightAtKill, totalAcked(rooms), reconnects.Load())

	for _, r := range rooms {
		entries := historyOverWire(t, r.members[0].c, r.id)
		verifyLog(t, r, entries)
		head := uint64(len(entries))
		var messages []uint64
		for _, e := range entries {
			if e.Kind == chat.KindMessage {
				messages = append(messages, e.Seq)
			}
		}
		for _, u := range r.members {
			if !waitFor(10*time.Second, func() bool {
				u.mu.Lock()
				defer u.mu.Unlock()
				return u.lastSeq >= head
			}) {
				u.mu.Lock()
				t.Errorf("%s: received up to seq %d, the log's head is %d", u.name, u.lastSeq, head)
				u.mu.Unlock()
			}
			u.mu.Lock()
			if u.rejoined > 0 {
				t.Errorf("%s: rejoined %d times without replay; a chat room must keep its epoch across a restart", u.name, u.rejoined)
			}
			if len(u.gaps) > 0 {
				t.Errorf("%s: ordered events out of sequence: %s", u.name, strings.Join(u.gaps[:min(5, len(u.gaps))], ", "))
			}
			for _, s := range messages {
				if n := u.recv[s]; n != 1 {
					t.Errorf("%s: received the message at seq %d %d times", u.name, s, n)
				}
			}
			if len(u.recv) != len(messages) {
				t.Errorf("%s: received %d distinct messages, the log has %d", u.name, len(u.recv), len(messages))
			}
			u.mu.Unlock()
		}
	}
}

// TestGracefulShutdownUnderLoad: many chat members send continuously; the
// server gets SIGTERM in the middle and must exit cleanly (status 0, its
// stopped line). Then the bbolt file, opened directly, has every message
// that was acked exactly once at the seq of its ack, the unacked ones at
// most once, each sender's in order.
func TestGracefulShutdownUnderLoad(t *testing.T) {
	data := t.TempDir()
	srv := startServer(t, data, "127.0.0.1:0", chatFlags...)
	opts := client.Options{RequestTimeout: 30 * time.Second, EventBuffer: 8192, Reconnect: client.ReconnectPolicy{Disabled: true}}
	rooms := setupChat(t, srv.URL, opts, 8, 2, 5)
	var inflight atomic.Int64
	stop := runSenders(t, rooms, &inflight)
	if !waitFor(10*time.Second, func() bool { return totalAcked(rooms) >= 2000 }) {
		t.Fatalf("only %d messages acked before SIGTERM", totalAcked(rooms))
	}
	inflightAtTerm := inflight.Load()
	srv.terminate(20 * time.Second)
	// The clients end with the server; every send returns.
	stop(15 * time.Second)

	unacked := 0
	for _, r := range rooms {
		for _, u := range r.members {
			select {
			case <-u.c.Done():
			default:
				t.Errorf("%s: client still open after the server exited", u.name)
			}
			var ce *client.CloseError
			if err := u.c.Err(); !errors.As(err, &ce) || ce.Code != engine.CloseGoingAway {
				t.Errorf("%s: client ended with %v, want a close with 1001 (going away)", u.name, err)
			}
			unacked += len(u.unacked)
		}
	}
	t.Logf("%d acked, %d sends failed, %d in flight at SIGTERM", totalAcked(rooms), unacked, inflightAtTerm)

	st, err := boltstore.Open(filepath.Join(data, dbFile), boltstore.Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatalf("open the chat store after shutdown: %v", err)
	}
	defer st.Close()
	for _, r := range rooms {
		verifyLog(t, r, historyFromStore(t, st, r.id))
	}
}
