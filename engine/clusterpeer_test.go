package engine

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
)

// batchRecorder is a Cluster whose PublishNode keeps copies of the
// batches; the rest of the seam is not used by a peerLink.
type batchRecorder struct {
	Cluster
	mu      sync.Mutex
	batches [][]byte
	gate    chan struct{} // when set, PublishNode waits for it
}

func (c *batchRecorder) PublishNode(node string, batch []byte) error {
	if c.gate != nil {
		<-c.gate
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches = append(c.batches, bytes.Clone(batch))
	return nil
}

// items returns every item of every batch, as "room=payload", and the
// number of batches.
func (c *batchRecorder) items(t *testing.T) ([]string, int) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, b := range c.batches {
		for len(b) > 0 {
			room, payload, rest, ok := nextPeerItem(b)
			if !ok {
				t.Fatalf("malformed batch %x", b)
			}
			out = append(out, string(room)+"="+string(payload))
			b = rest
		}
	}
	return out, len(c.batches)
}

func waitItems(t *testing.T, c *batchRecorder, n int) ([]string, int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		items, batches := c.items(t)
		if len(items) >= n {
			return items, batches
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d items arrived", len(items), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitTaken waits until p's writer has taken what was queued.
func waitTaken(t *testing.T, p *peerLink) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p.mu.Lock()
		n := len(p.buf)
		p.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer never took the first item")
		}
		time.Sleep(time.Millisecond)
	}
}

// Items queued while the writer is busy leave together, in order, and an
// envelope decodes as the envelope it was.
func TestPeerLinkBatchesInOrder(t *testing.T) {
	var wg sync.WaitGroup
	c := &batchRecorder{gate: make(chan struct{})}
	p := newPeerLink(c, "n", zap.NewNop(), &wg)
	p.push("r1", []byte("first")) // the writer takes it and waits at the gate
	waitTaken(t, p)
	for i := range 5 {
		p.push(fmt.Sprint("r", i%2), []byte(fmt.Sprint("b", i)))
	}
	p.pushEnvelope("r1", envFrames, "s1", []byte("ack"))
	close(c.gate)
	items, batches := waitItems(t, c, 7)
	wg.Wait()
	want := []string{"r1=first", "r0=b0", "r1=b1", "r0=b2", "r1=b3", "r0=b4",
		"r1=" + string(appendEnvelope(nil, envFrames, "s1", []byte("ack")))}
	if fmt.Sprint(items) != fmt.Sprint(want) {
		t.Fatalf("items %q, want %q", items, want)
	}
	if batches != 2 {
		t.Fatalf("%d batches, want 2: the first item, then the six queued behind it", batches)
	}
}

// A backlog larger than peerBatchBytes leaves in pieces cut at item
// boundaries, none over the size but an item larger than it, alone.
func TestPeerLinkCutsLargeBatches(t *testing.T) {
	var wg sync.WaitGroup
	c := &batchRecorder{gate: make(chan struct{})}
	p := newPeerLink(c, "n", zap.NewNop(), &wg)
	p.push("r", []byte("x"))
	waitTaken(t, p)
	small := bytes.Repeat([]byte("s"), peerBatchBytes/5)
	for range 7 {
		p.push("r", small)
	}
	big := bytes.Repeat([]byte("b"), peerBatchBytes+1)
	p.push("r", big)
	close(c.gate)
	items, _ := waitItems(t, c, 9)
	wg.Wait()
	if len(items) != 9 || items[8] != "r="+string(big) {
		t.Fatalf("%d items, the last of %d bytes", len(items), len(items[len(items)-1]))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, b := range c.batches {
		if len(b) > peerBatchBytes && !bytes.Contains(b, big) {
			t.Errorf("batch %d has %d bytes, over %d", i, len(b), peerBatchBytes)
		}
		if bytes.Contains(b, big) && len(b) > len(big)+8 {
			t.Errorf("the large item shares batch %d (%d bytes)", i, len(b))
		}
	}
}

// A malformed batch from another node is dropped where it stops being
// readable; the items before it are delivered.
func TestReceiveMalformedBatch(t *testing.T) {
	for _, b := range [][]byte{
		{0xff},                          // a length that never ends
		{5, 'a'},                        // a room shorter than its length
		appendPeerItemHead(nil, "r", 9), // a payload shorter than its length
	} {
		if _, _, _, ok := nextPeerItem(b); ok {
			t.Errorf("nextPeerItem(%x) took it", b)
		}
	}
	room, payload, rest, ok := nextPeerItem(append(appendPeerItemHead(nil, "room", 2), "hi"...))
	if !ok || string(room) != "room" || string(payload) != "hi" || len(rest) != 0 {
		t.Fatalf("nextPeerItem = %q, %q, %q, %v", room, payload, rest, ok)
	}
}

// A room that finds its link's backlog full waits for the writer instead
// of queueing without bound, and goes on once the writer took it.
func TestPeerLinkBacklogWaits(t *testing.T) {
	var wg sync.WaitGroup
	c := &batchRecorder{gate: make(chan struct{})}
	p := newPeerLink(c, "n", zap.NewNop(), &wg)
	p.push("r", []byte("x"))
	waitTaken(t, p) // the writer waits at the gate
	chunk := bytes.Repeat([]byte("c"), 1<<20)
	pushed := make(chan int, 16)
	go func() {
		for i := range 10 {
			p.push("r", chunk)
			pushed <- i
		}
		close(pushed)
	}()
	// The backlog fills at peerBacklog (8 MiB): the ninth push waits.
	for i := range peerBacklog >> 20 {
		select {
		case <-pushed:
		case <-time.After(10 * time.Second):
			t.Fatalf("push %d waited with the backlog not full", i)
		}
	}
	select {
	case i := <-pushed:
		t.Fatalf("push %d went through with %d bytes queued", i, peerBacklog)
	case <-time.After(50 * time.Millisecond):
	}
	close(c.gate)
	n := 0
	for range pushed {
		n++
	}
	if n != 10-peerBacklog>>20 {
		t.Fatalf("%d pushes after the writer went on, want %d", n, 10-peerBacklog>>20)
	}
	items, _ := waitItems(t, c, 11)
	wg.Wait()
	if len(items) != 11 {
		t.Fatalf("%d items arrived, want 11", len(items))
	}
}
