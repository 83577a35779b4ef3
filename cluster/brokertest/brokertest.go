// Package brokertest is the behavioural contract of engine.Broker, run
// against every implementation: engine.MemoryBroker in this module and the
// NATS broker in the cluster test module.
//
// The checks allow asynchronous delivery: where a payload must not arrive,
// the test publishes a later marker on a topic the subscriber still holds
// and waits for it, relying on the per-topic order every Broker keeps.
package brokertest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parlorhq/parlor/engine"
)

// Wait is how long a check waits for a payload that must arrive.
const Wait = 10 * time.Second

// Run runs the contract tests, each on a fresh broker from newBroker. The
// constructor should register the broker's cleanup with t.Cleanup; Run
// closes brokers itself, so Close must be safe to call twice.
func Run(t *testing.T, newBroker func(t *testing.T) engine.Broker) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b engine.Broker)
	}{
		{"DeliversToEverySubscriber", testDelivers},
		{"KeepsTopicsApart", testTopicsApart},
		{"KeepsOrderPerTopic", testOrder},
		{"ConcurrentPublishers", testConcurrent},
		{"CarriesPayloadBytes", testPayloads},
		{"Unsubscribe", testUnsubscribe},
		{"UnsubscribeFromCallback", testUnsubscribeInCallback},
		{"Close", testClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newBroker(t)) })
	}
}

// recorder collects the payloads one subscriber got.
type recorder struct {
	mu     sync.Mutex
	got    [][]byte
	notify chan struct{}
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 1)} }

func (r *recorder) fn(p []byte) {
	r.mu.Lock()
	r.got = append(r.got, bytes.Clone(p))
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

func (r *recorder) snapshot() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// waitFor waits until the recorder holds n payloads and returns them.
func (r *recorder) waitFor(t *testing.T, n int) [][]byte {
	t.Helper()
	deadline := time.After(Wait)
	for {
		got := r.snapshot()
		if len(got) >= n {
			return got
		}
		select {
		case <-r.notify:
		case <-deadline:
			t.Fatalf("got %d payloads, want %d", len(got), n)
		}
	}
}

func strs(ps [][]byte) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

func subscribe(t *testing.T, b engine.Broker, topic string, fn func([]byte)) func() {
	t.Helper()
	unsub, err := b.Subscribe(topic, fn)
	if err != nil {
		t.Fatalf("Subscribe(%q): %v", topic, err)
	}
	t.Cleanup(unsub)
	return unsub
}

func publish(t *testing.T, b engine.Broker, topic, payload string) {
	t.Helper()
	if err := b.Publish(topic, []byte(payload)); err != nil {
		t.Fatalf("Publish(%q): %v", topic, err)
	}
}

// testDelivers: every subscriber of a topic gets each payload once.
func testDelivers(t *testing.T, b engine.Broker) {
	r1, r2 := newRecorder(), newRecorder()
	subscribe(t, b, "room1", r1.fn)
	subscribe(t, b, "room1", r2.fn)
	publish(t, b, "room1", "a")
	publish(t, b, "room1", "b")
	for i, r := range []*recorder{r1, r2} {
		if got := strs(r.waitFor(t, 2)); !slices.Equal(got, []string{"a", "b"}) {
			t.Errorf("subscriber %d got %q, want [a b]", i+1, got)
		}
	}
}

// testTopicsApart: a subscriber gets nothing published on another topic,
// including a topic that only differs in a way subjects cannot show.
func testTopicsApart(t *testing.T, b engine.Broker) {
	topics := []string{"abc", "abc.def", "abc.*", "ab c", "_abc", "ABC"}
	recs := make([]*recorder, len(topics))
	for i, topic := range topics {
		recs[i] = newRecorder()
		subscribe(t, b, topic, recs[i].fn)
	}
	for _, topic := range topics {
		publish(t, b, topic, topic)
	}
	for i, topic := range topics {
		publish(t, b, topic, "end")
		if got := strs(recs[i].waitFor(t, 2)); !slices.Equal(got, []string{topic, "end"}) {
			t.Errorf("subscriber of %q got %q", topic, got)
		}
	}
}

// testOrder: payloads on one topic arrive in publish order, while another
// topic is published in between.
func testOrder(t *testing.T, b engine.Broker) {
	const n = 2000
	ra, rb := newRecorder(), newRecorder()
	subscribe(t, b, "a", ra.fn)
	subscribe(t, b, "b", rb.fn)
	for i := range n {
		publish(t, b, "a", fmt.Sprint(i))
		publish(t, b, "b", fmt.Sprint(i))
	}
	for name, r := range map[string]*recorder{"a": ra, "b": rb} {
		got := r.waitFor(t, n)
		for i, p := range got {
			if string(p) != fmt.Sprint(i) {
				t.Fatalf("topic %s: payload %d is %q", name, i, p)
			}
		}
	}
}

// testConcurrent: publishers on their own topics, at once, each keep order.
func testConcurrent(t *testing.T, b engine.Broker) {
	const topics, n = 8, 300
	recs := make([]*recorder, topics)
	for i := range recs {
		recs[i] = newRecorder()
		subscribe(t, b, fmt.Sprint("t", i), recs[i].fn)
	}
	var wg sync.WaitGroup
	errs := make(chan error, topics)
	for i := range topics {
		wg.Go(func() {
			for j := range n {
				if err := b.Publish(fmt.Sprint("t", i), []byte(fmt.Sprint(j))); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i, r := range recs {
		for j, p := range r.waitFor(t, n) {
			if string(p) != fmt.Sprint(j) {
				t.Fatalf("topic t%d: payload %d is %q", i, j, p)
			}
		}
	}
}

// testPayloads: empty, binary and batch-sized payloads arrive byte for byte.
func testPayloads(t *testing.T, b engine.Broker) {
	big := make([]byte, 256<<10)
	for i := range big {
		big[i] = byte(i * 7)
	}
	want := [][]byte{{}, {0, 0xff, '\r', '\n'}, big}
	r := newRecorder()
	subscribe(t, b, "bytes", r.fn)
	for _, p := range want {
		if err := b.Publish("bytes", p); err != nil {
			t.Fatal(err)
		}
	}
	got := r.waitFor(t, len(want))
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("payload %d: got %d bytes, want %d", i, len(got[i]), len(want[i]))
		}
	}
}

// testUnsubscribe: after unsubscribe returns, later payloads skip that
// subscriber only; calling it again does nothing.
func testUnsubscribe(t *testing.T, b engine.Broker) {
	gone, stays := newRecorder(), newRecorder()
	unsub := subscribe(t, b, "room", gone.fn)
	subscribe(t, b, "room", stays.fn)
	publish(t, b, "room", "1")
	gone.waitFor(t, 1)
	unsub()
	unsub()
	publish(t, b, "room", "2")
	publish(t, b, "room", "3")
	if got := strs(stays.waitFor(t, 3)); !slices.Equal(got, []string{"1", "2", "3"}) {
		t.Errorf("remaining subscriber got %q", got)
	}
	if got := strs(gone.snapshot()); !slices.Equal(got, []string{"1"}) {
		t.Errorf("unsubscribed subscriber got %q, want [1]", got)
	}

	// The last subscriber leaving and a new one arriving reopens the topic.
	again := newRecorder()
	u2 := subscribe(t, b, "solo", func([]byte) {})
	u2()
	subscribe(t, b, "solo", again.fn)
	publish(t, b, "solo", "x")
	if got := strs(again.waitFor(t, 1)); !slices.Equal(got, []string{"x"}) {
		t.Errorf("resubscribed topic got %q", got)
	}
}

// testUnsubscribeInCallback: a subscriber may unsubscribe itself while it
// is being called.
func testUnsubscribeInCallback(t *testing.T, b engine.Broker) {
	var (
		mu    sync.Mutex
		calls int
		unsub func()
	)
	ready := make(chan struct{})
	u, err := b.Subscribe("room", func([]byte) {
		<-ready
		mu.Lock()
		calls++
		mu.Unlock()
		unsub()
	})
	if err != nil {
		t.Fatal(err)
	}
	unsub = u
	close(ready)
	marker := newRecorder()
	subscribe(t, b, "room", marker.fn)
	publish(t, b, "room", "1")
	publish(t, b, "room", "2")
	marker.waitFor(t, 2)
	mu.Lock()
	defer mu.Unlock()
	if calls != 1 {
		t.Errorf("self-unsubscribing subscriber called %d times, want 1", calls)
	}
}

// testClose: after Close, Publish and Subscribe fail with
// engine.ErrBrokerClosed, old unsubscribe functions are harmless, and a
// second Close does not fail.
func testClose(t *testing.T, b engine.Broker) {
	unsub := subscribe(t, b, "room", func([]byte) {})
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := b.Publish("room", []byte("x")); !errors.Is(err, engine.ErrBrokerClosed) {
		t.Errorf("Publish after Close = %v, want ErrBrokerClosed", err)
	}
	if _, err := b.Subscribe("room", func([]byte) {}); !errors.Is(err, engine.ErrBrokerClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrBrokerClosed", err)
	}
	unsub()
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
