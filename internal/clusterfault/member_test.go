package clusterfault

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
)

// clientOpts are the options of every test client: reconnecting quickly,
// with room for the replay of a long outage.
func clientOpts(reconnects *atomic.Int64) client.Options {
	return client.Options{
		RequestTimeout: 30 * time.Second,
		EventBuffer:    16384,
		Reconnect:      client.ReconnectPolicy{MinDelay: 50 * time.Millisecond, MaxDelay: 500 * time.Millisecond},
		OnStateChange: func(sc client.StateChange) {
			if reconnects != nil && sc.State == client.StateOpen && sc.Attempt > 0 {
				reconnects.Add(1)
			}
		},
	}
}

// dial connects user at url; the client is closed when the test ends.
func dial(t testing.TB, url string, opts client.Options) *client.Client {
	t.Helper()
	c, err := client.Dial(ctxTimeout(t, 15*time.Second), url, opts)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// sent is one message a member sent.
type sent struct {
	n    int    // position in the sender's order
	id   string // client message id
	text string
	seq  uint64 // the seq of its ack; 0 when not acked
}

// member is one user in one conversation: it sends numbered messages with
// client message ids and records the ordered events it receives.
type member struct {
	name string
	c    *client.Client
	room string

	mu       sync.Mutex
	next     int    // the number of sendNext's next message
	acked    []sent // in send order
	failed   []sent // sends that returned an error
	failures map[string]int
	refusals []string // the first ten refusals, with their time and text
	badAck   []string
	lastSeq  uint64
	recv     map[uint64]int // message events received, by seq
	order    []uint64       // seqs of the message events, as received
	gaps     []string
	rejoined int
	other    []client.Event // ephemeral events (typing, read, presence)
	readDone chan struct{}
}

// newMember dials user at url and joins the conversation kind with params.
func newMember(t *testing.T, name, url, kind string, params any, opts client.Options) *member {
	t.Helper()
	m := &member{name: name, c: dial(t, url, opts), recv: map[uint64]int{}, failures: map[string]int{}, readDone: make(chan struct{})}
	r, err := join(t, m.c, kind, params)
	if err != nil {
		t.Fatalf("%s joins %s: %v", name, kind, err)
	}
	m.room, m.lastSeq = r.Room, r.Seq
	go m.read()
	return m
}

// read follows the client's events for its room until the client ends.
func (m *member) read() {
	defer close(m.readDone)
	for ev := range m.c.Events() {
		if ev.Room != m.room {
			continue
		}
		m.mu.Lock()
		switch {
		case ev.Name == client.EventRejoined:
			m.rejoined++
			m.lastSeq = ev.Seq
		case ev.Left:
		case ev.Seq > 0:
			if ev.Seq != m.lastSeq+1 {
				m.gaps = append(m.gaps, fmt.Sprintf("%d after %d", ev.Seq, m.lastSeq))
			}
			m.lastSeq = max(m.lastSeq, ev.Seq)
			if ev.Name == chat.KindMessage {
				m.recv[ev.Seq]++
				m.order = append(m.order, ev.Seq)
			}
		default:
			m.other = append(m.other, ev)
		}
		m.mu.Unlock()
	}
}

// sendNext sends the member's next message: numbers go on across loads,
// so that a message refused in one load is never sent again, under the
// same client message id, in a later one (it would be a new message, out
// of the sender's order).
func (m *member) sendNext() error {
	m.mu.Lock()
	n := m.next
	m.next++
	m.mu.Unlock()
	return m.send(n)
}

// send sends message n and records the outcome.
func (m *member) send(n int) error {
	s := sent{n: n, id: fmt.Sprintf("%s-%d", m.name, n), text: fmt.Sprintf("%s says %d", m.name, n)}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := m.c.Send(ctx, m.room, chat.OpSend, chat.SendRequest{Text: s.text}, client.WithClientMsgID(s.id))
	var stored chat.Message
	if err == nil {
		err = rep.Decode(&stored)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.failed = append(m.failed, s)
		code := errCode(err)
		m.failures[code]++
		if len(m.refusals) < 10 {
			m.refusals = append(m.refusals, fmt.Sprintf("%s %s: %v", time.Now().Format("15:04:05.000"), s.id, err))
		}
		return err
	}
	s.seq = stored.Seq
	m.acked = append(m.acked, s)
	if stored.ClientMsgID != s.id || stored.From != m.name || stored.Text != s.text || stored.Seq == 0 {
		m.badAck = append(m.badAck, fmt.Sprintf("%s acked as %+v", s.id, stored))
	}
	return nil
}

// errCode is the stable code of a client error, or its text.
func errCode(err error) string {
	var ce *codec.Error
	if errors.As(err, &ce) {
		return string(ce.Code)
	}
	return err.Error()
}

// ackCount returns how many of m's messages were acked.
func (m *member) ackCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.acked)
}

// seen returns the last seq m received.
func (m *member) seen() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lastSeq
}

// load runs every member's send loop, one send at a time each, until the
// returned stop is called; stop waits for the loops to return.
func load(t *testing.T, members []*member) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				case <-m.c.Done():
					return
				default:
				}
				if m.sendNext() != nil {
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
	var once sync.Once
	stop = func() {
		once.Do(func() { close(done) })
		finished := make(chan struct{})
		go func() {
			wg.Wait()
			close(finished)
		}()
		select {
		case <-finished:
		case <-time.After(time.Minute):
			t.Fatal("senders still sending a minute after being stopped")
		}
	}
	t.Cleanup(stop)
	return stop
}

// totalAcked sums the acked messages of the members.
func totalAcked(members []*member) int {
	n := 0
	for _, m := range members {
		n += m.ackCount()
	}
	return n
}

// history pages a conversation's whole log over the wire, oldest first.
func history(t *testing.T, c *client.Client, room string) []chat.Message {
	t.Helper()
	var all []chat.Message
	before := uint64(0)
	for {
		rep, err := c.Send(ctxTimeout(t, 15*time.Second), room, chat.OpHistory, chat.HistoryRequest{Before: before, Limit: 100})
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

// checkLog checks a conversation's log against what its members sent: it
// is contiguous from seq 1; every acked message is in it once, at the seq
// of its ack; a failed send is in it at most once; every message in it
// was sent; each sender's messages are in the order sent.
func checkLog(t *testing.T, what string, members []*member, entries []chat.Message) {
	t.Helper()
	for i, e := range entries {
		if e.Seq != uint64(i+1) {
			t.Errorf("%s: entry %d has seq %d (the log is not contiguous)", what, i, e.Seq)
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
	all := map[key]sent{}
	for _, m := range members {
		m.mu.Lock()
		for _, s := range m.acked {
			all[key{m.name, s.id}] = s
			switch got := found[key{m.name, s.id}]; {
			case len(got) == 0:
				t.Errorf("%s: %s's acked message %s (seq %d) is missing", what, m.name, s.id, s.seq)
			case len(got) > 1:
				t.Errorf("%s: %s's acked message %s is in the log %d times", what, m.name, s.id, len(got))
			case got[0].Seq != s.seq || got[0].Text != s.text:
				t.Errorf("%s: %s's %s was acked at seq %d, the log has it at %d with %q", what, m.name, s.id, s.seq, got[0].Seq, got[0].Text)
			}
		}
		for _, s := range m.failed {
			all[key{m.name, s.id}] = s
			if got := found[key{m.name, s.id}]; len(got) > 1 {
				t.Errorf("%s: %s's unacked %s is in the log %d times", what, m.name, s.id, len(got))
			}
		}
		for _, b := range m.badAck {
			t.Errorf("%s: %s", what, b)
		}
		m.mu.Unlock()
	}
	last := map[string]int{}
	for _, e := range entries {
		if e.Kind != chat.KindMessage {
			continue
		}
		s, ok := all[key{e.From, e.ClientMsgID}]
		if !ok {
			t.Errorf("%s: seq %d from %s (%q) was never sent", what, e.Seq, e.From, e.ClientMsgID)
			continue
		}
		if prev, seen := last[e.From]; seen && s.n <= prev {
			t.Errorf("%s: %s's message %d is at seq %d, after its message %d", what, e.From, s.n, e.Seq, prev)
		}
		last[e.From] = s.n
	}
}

// checkReceived checks that every member received every message of the
// log exactly once, in seq order, with no gap, and that it was never told
// to refetch (a rejoin without replay).
func checkReceived(t *testing.T, what string, members []*member, entries []chat.Message) {
	t.Helper()
	var want []uint64
	for _, e := range entries {
		if e.Kind == chat.KindMessage {
			want = append(want, e.Seq)
		}
	}
	head := uint64(len(entries))
	for _, m := range members {
		if !waitFor(15*time.Second, func() bool { return m.seen() >= head }) {
			t.Errorf("%s: %s received up to seq %d, the log's head is %d", what, m.name, m.seen(), head)
			continue
		}
		m.mu.Lock()
		if m.rejoined > 0 {
			t.Errorf("%s: %s rejoined %d times without replay", what, m.name, m.rejoined)
		}
		if len(m.gaps) > 0 {
			t.Errorf("%s: %s: ordered events out of sequence: %s", what, m.name, strings.Join(m.gaps[:min(5, len(m.gaps))], ", "))
		}
		if !slices.Equal(m.order, want) {
			t.Errorf("%s: %s received %d message events, the log has %d (or they differ in order)", what, m.name, len(m.order), len(want))
		}
		m.mu.Unlock()
	}
}

// join joins a room, asking again while the answer is unavailable (the
// cluster's ownership store or the room's owner is not reachable yet:
// "try again"), for up to 30 s.
func join(t testing.TB, c *client.Client, kind string, params any) (*client.Room, error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := c.Join(ctxTimeout(t, 15*time.Second), kind, params)
		if err == nil || errCode(err) != string(codec.CodeUnavailable) || time.Now().After(deadline) {
			return r, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
