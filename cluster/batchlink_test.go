package cluster

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestLinkValue(t *testing.T) {
	v := string(appendLinkValue(nil, "node-1", 0xfeed, 42))
	if v != "node-1 feed 42" {
		t.Fatalf("value %q", v)
	}
	node, inc, n, ok := parseLinkValue(v)
	if !ok || node != "node-1" || inc != 0xfeed || n != 42 {
		t.Fatalf("parsed %q %x %d %v", node, inc, n, ok)
	}
	for _, bad := range []string{"", "node-1", "node-1 feed", " feed 42", "node-1 zz 42", "node-1 feed x", "node-1 feed 0", "node-1 feed 42 7"} {
		if _, _, _, ok := parseLinkValue(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestLinksOut(t *testing.T) {
	l := newLinksOut()
	if l.last("b") != 0 {
		t.Fatal("a link with nothing published has a last batch")
	}
	lb := l.link("b")
	for want := uint64(1); want <= 3; want++ {
		lb.sent++
		if got := lb.sent; got != want {
			t.Fatalf("batch %d numbered %d", want, got)
		}
	}
	if l.link("b") != lb {
		t.Fatal("a second link to one node")
	}
	l.link("c").sent++
	if l.last("b") != 3 || l.last("c") != 1 {
		t.Fatal("links to two nodes share their numbers")
	}
	if newLinksOut().incarnation == l.incarnation {
		t.Fatal("two links share an incarnation")
	}
	l.link("b").used.Store(time.Now().UnixNano())
	l.link("c").used.Store(time.Now().Add(-2 * linkIdle).UnixNano())
	l.link("d").used.Store(time.Now().Add(-2 * linkIdle).UnixNano())
	watched := func(node string) bool { return node == "d" }
	l.sweep(watched, time.Now().Add(-linkIdle))
	if l.last("b") != 3 || l.last("c") != 0 || l.links["d"] == nil {
		t.Fatal("the sweep dropped a link in use or a watched node's, or kept an idle one")
	}
	if l.last("c") != 0 {
		t.Fatal("a swept link goes on numbering")
	}
}

// A batch received in order is counted; a skipped number is a loss seen
// then; a new link (a first sender, a new incarnation) that does not
// start at 1 is a loss too; a value that does not parse is not counted.
func TestLinksInLoss(t *testing.T) {
	l := newLinksIn()
	recv := func(inc, n uint64) { l.received(string(appendLinkValue(nil, "a", inc, n))) }
	recv(7, 1)
	recv(7, 2)
	if in := l.state("a"); in.incarnation != 7 || in.last != 2 || !in.lostAt.IsZero() || l.gapCount() != 0 {
		t.Fatalf("in order: %+v, %d gaps", in, l.gapCount())
	}
	before := time.Now()
	recv(7, 4)
	in := l.state("a")
	if in.last != 4 || in.lostAt.Before(before) {
		t.Fatalf("after a skip: %+v", in)
	}
	before = time.Now()
	recv(7, 1) // numbered from 1 again: the sender forgot the link
	if in := l.state("a"); in.last != 1 || in.lostAt.Before(before) {
		t.Fatalf("after a batch numbered back: %+v", in)
	}
	lost := l.state("a").lostAt
	recv(7, 2)
	if in := l.state("a"); in.last != 2 || !in.lostAt.Equal(lost) {
		t.Fatalf("in order again: %+v", in)
	}
	recv(8, 1)
	if in := l.state("a"); in.incarnation != 8 || in.last != 1 || !in.lostAt.IsZero() {
		t.Fatalf("a new incarnation from its first batch: %+v", in)
	}
	before = time.Now()
	recv(9, 3)
	if in := l.state("a"); in.incarnation != 9 || in.last != 3 || in.lostAt.Before(before) {
		t.Fatalf("a new incarnation whose first batches were lost: %+v", in)
	}
	// The skip to 4, the number back to 1, and incarnation 9 first heard
	// at 3; not the new incarnation from 1.
	if g := l.gapCount(); g != 3 {
		t.Fatalf("%d gaps counted, want 3", g)
	}
	l.sweep(func(string) bool { return true }, time.Now().Add(time.Hour))
	if in := l.state("a"); in.last != 3 {
		t.Fatalf("the sweep dropped a watched node's link: %+v", in)
	}
	l.sweep(func(string) bool { return false }, time.Now().Add(-time.Hour))
	if in := l.state("a"); in.last != 3 {
		t.Fatalf("the sweep dropped a link in use: %+v", in)
	}
	l.sweep(func(string) bool { return false }, time.Now().Add(time.Hour))
	if in := l.state("a"); in.last != 0 {
		t.Fatalf("the sweep kept an idle link: %+v", in)
	}
	l.received(string(appendLinkValue(nil, "a", 9, 5)))
	if in := l.state("a"); in.last != 5 || in.lostAt.IsZero() {
		t.Fatalf("a swept link heard again past 1: %+v", in)
	}
	l.received("")
	l.received("a 9 x")
	if in := l.state("a"); in.last != 5 {
		t.Fatalf("a bad value counted: %+v", in)
	}
}

// awaitBatch holds once the batch named is in with no loss seen after
// since; it waits for a batch still on its way, and gives up on a loss
// after since, on another incarnation, or when its context ends.
func TestAwaitBatch(t *testing.T) {
	ctx := context.Background()
	l := newLinksIn()
	recv := func(inc, n uint64) { l.received(string(appendLinkValue(nil, "a", inc, n))) }
	recv(7, 1)
	recv(7, 3) // a loss seen now
	lossSeen := time.Now()
	time.Sleep(time.Millisecond)
	if !l.awaitBatch(ctx, "a", 6, 0, lossSeen, nil) {
		t.Fatal("nothing published by an incarnation, not held")
	}
	if l.awaitBatch(ctx, "a", 7, 0, lossSeen, nil) {
		t.Fatal("nothing published by an incarnation that sent batches (a forgotten link), held")
	}
	if l.awaitBatch(ctx, "a", 6, 0, lossSeen.Add(-time.Hour), nil) {
		t.Fatal("nothing published, held past a loss after since")
	}
	if !l.awaitBatch(ctx, "a", 7, 3, lossSeen, nil) {
		t.Fatal("a loss before since counted")
	}
	if l.awaitBatch(ctx, "a", 7, 3, lossSeen.Add(-time.Hour), nil) {
		t.Fatal("a loss after since not counted")
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if l.awaitBatch(short, "a", 6, 3, lossSeen, nil) {
		t.Fatal("another incarnation's batch held")
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		recv(7, 4)
	}()
	if !l.awaitBatch(ctx, "a", 7, 4, lossSeen, nil) {
		t.Fatal("a batch on its way not waited for")
	}
	since := time.Now()
	go func() {
		time.Sleep(20 * time.Millisecond)
		recv(7, 6) // 5 lost
	}()
	wait, cancel2 := context.WithTimeout(ctx, 5*time.Second)
	defer cancel2()
	if l.awaitBatch(wait, "a", 7, 6, since, nil) {
		t.Fatal("held past a loss seen while waiting")
	}

	// With the batches drained, a batch not received is lost at once;
	// one received is held; while batches are still being handed over,
	// the wait goes on.
	l = newLinksIn()
	recv(7, 1)
	since = time.Now()
	dry := func() bool { return true }
	start := time.Now()
	if l.awaitBatch(wait, "a", 7, 2, since, dry) {
		t.Fatal("a batch that never came, held with the batches drained")
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("the drained wait for a lost batch took %v", took)
	}
	if !l.awaitBatch(wait, "a", 7, 1, since, dry) {
		t.Fatal("a batch received, not held with the batches drained")
	}
	var handing atomic.Bool
	handing.Store(true)
	go func() {
		time.Sleep(20 * time.Millisecond)
		recv(7, 2)
		handing.Store(false)
	}()
	if !l.awaitBatch(wait, "a", 7, 2, since, func() bool { return !handing.Load() }) {
		t.Fatal("a batch still being handed over, not waited for")
	}
}
