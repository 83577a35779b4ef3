package faulttest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/internal/wstest"
)

// TestSlowConsumerMemoryBounded: clients that join a busy room and then
// never read from their sockets again are closed by the server (the 4008
// path), the server's memory stays within its outbox bounds while they
// hold out, memory they held is released, and the members who read on get
// every event in order.
//
// Memory is read from outside the server process: VmRSS of the child
// process (/proc/PID/status) every 50 ms, and the heap after a GC from its
// /debug/stats?gc=1. The load is sized so that, without the outbox bound,
// the bytes the stalled clients never read would exceed the allowed growth
// several times over (the test checks this too, so it cannot pass by a
// load too light to matter).
func TestSlowConsumerMemoryBounded(t *testing.T) {
	_, err := os.Stat("/proc/self/status")
	need(t, "/proc (Linux), to read the server's resident memory", err == nil)
	const (
		stalled    = 4
		readers    = 3
		rate       = 600 // broadcasts per second
		text       = 4000
		outbox     = 1 << 20
		loadFor    = 10 * time.Second
		maxLoadFor = 40 * time.Second // on a busy machine, until the load is heavy enough
		slackBytes = 16 << 20         // GC headroom, garbage of the broadcasts, runtime noise
	)
	srv := startServer(t, t.TempDir(), "127.0.0.1:0",
		"-rate-limit", "-1", "-log", "info", "-outbox-bytes", fmt.Sprint(outbox))
	params := echo.JoinParams{Name: "busy"}

	dial := func(user string) *client.Client {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := client.Dial(ctx, srv.URL(user), client.Options{EventBuffer: 8192})
		if err != nil {
			t.Fatalf("dial %s: %v", user, err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	join := func(c *client.Client) *client.Joined {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		j, err := c.Join(ctx, echo.Kind, params)
		if err != nil {
			t.Fatalf("join: %v", err)
		}
		return j
	}

	sender := dial("sender")
	roomID := join(sender).Room

	// Readers check that their stream has every seq once, in order.
	type reader struct {
		got     atomic.Int64
		last    uint64
		badSeqs atomic.Int64
	}
	rs := make([]*reader, readers)
	var readWG sync.WaitGroup
	for i := range rs {
		c := dial(fmt.Sprintf("reader%d", i))
		j := join(c)
		r := &reader{last: j.Seq}
		rs[i] = r
		readWG.Add(1)
		go func() {
			defer readWG.Done()
			for ev := range c.Events() {
				if ev.Room != roomID || ev.Name != "said" {
					continue
				}
				if ev.Seq != r.last+1 {
					r.badSeqs.Add(1)
				}
				r.last = ev.Seq
				r.got.Add(1)
			}
		}()
	}

	// Stalled clients join and never read again.
	raws := make([]*wstest.Conn, stalled)
	for i := range raws {
		rc, err := wstest.Dial(srv.Addr, wstest.Options{Target: fmt.Sprintf("/ws?user=stalled%d", i), Timeout: 10 * time.Second})
		if err != nil {
			t.Fatalf("dial stalled client: %v", err)
		}
		t.Cleanup(func() { _ = rc.Close() })
		if _, err := rc.Connect(1, "faulttest-raw", ""); err != nil {
			t.Fatalf("stalled client connects: %v", err)
		}
		if _, err := rc.Join(2, echo.Kind, params); err != nil {
			t.Fatalf("stalled client joins: %v", err)
		}
		raws[i] = rc
	}
	wantSessions := 1 + readers + stalled
	if st, err := srv.stats(false); err != nil || st.Sessions != wantSessions {
		t.Fatalf("before the load: sessions %d (err %v), want %d", st.Sessions, err, wantSessions)
	}

	base, err := srv.stats(true)
	if err != nil {
		t.Fatal(err)
	}
	rss0, err := vmRSS(srv.PID())
	if err != nil {
		t.Fatal(err)
	}

	// Memory sampler.
	var peakRSS atomic.Uint64
	peakRSS.Store(rss0)
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tk := time.NewTicker(50 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-tk.C:
				if v, err := vmRSS(srv.PID()); err == nil && v > peakRSS.Load() {
					peakRSS.Store(v)
				}
			}
		}
	}()

	// Paced load: rate broadcasts per second of text bytes.
	payload := strings.Repeat("y", text)
	var acked, failed atomic.Int64
	stopLoad := make(chan struct{})
	var loadWG sync.WaitGroup
	tick := time.NewTicker(time.Second / rate)
	defer tick.Stop()
	for range 8 {
		loadWG.Add(1)
		go func() {
			defer loadWG.Done()
			for {
				select {
				case <-stopLoad:
					return
				case <-tick.C:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				_, err := sender.Send(ctx, roomID, "say", echo.SayData{Text: payload})
				cancel()
				if err != nil {
					failed.Add(1)
					continue
				}
				acked.Add(1)
			}
		}()
	}
	// The load runs for loadFor, and on past it (up to maxLoadFor) until
	// enough was broadcast to matter (see wouldPile below): at load
	// averages above 10 with -race the rate fell to about 250/s, and 3
	// runs in 3 ended too light after 10 s.
	allowed := uint64(stalled*outbox + slackBytes)
	heavyEnough := func() bool { return uint64(acked.Load())*text*stalled >= 3*allowed }
	start := time.Now()
	closedAt := time.Duration(0)
	for time.Since(start) < loadFor || (!heavyEnough() && time.Since(start) < maxLoadFor) {
		time.Sleep(100 * time.Millisecond)
		if closedAt == 0 {
			if st, err := srv.stats(false); err == nil && st.Sessions == 1+readers {
				closedAt = time.Since(start)
			}
		}
	}
	close(stopLoad)
	loadWG.Wait()
	elapsed := time.Since(start)
	close(stopSampling)
	<-sampled

	if n := failed.Load(); n > 0 {
		t.Errorf("%d sends failed", n)
	}
	if closedAt == 0 {
		st, _ := srv.stats(false)
		t.Fatalf("after %v of load the server still has %d sessions, want %d: the stalled clients were not closed", elapsed.Round(time.Second), st.Sessions, 1+readers)
	}
	// The 4008 path: the engine logs each slow-consumer close.
	if !waitFor(5*time.Second, func() bool { return strings.Count(srv.Stderr(), `"slow consumer closed"`) == stalled }) {
		t.Errorf("server logged %d slow-consumer closes, want %d", strings.Count(srv.Stderr(), `"slow consumer closed"`), stalled)
	}

	// Without the bound, the stalled clients' unread bytes would have
	// piled up in the server: make sure that pile would be far above the
	// allowed growth, or this test proves nothing.
	wouldPile := uint64(acked.Load()) * uint64(text) * stalled
	if !heavyEnough() {
		t.Fatalf("load too light to test the bound after %v: %d MiB broadcast to the stalled clients, allowed growth %d MiB", elapsed.Round(time.Second), wouldPile>>20, allowed>>20)
	}
	growth := peakRSS.Load() - rss0
	t.Logf("%d broadcasts of %d B in %v (%.0f/s); stalled clients closed after %v; RSS %d MiB -> peak %d MiB (+%.1f MiB, allowed +%d MiB); unbounded queues would have held %d MiB",
		acked.Load(), text, elapsed.Round(time.Millisecond), float64(acked.Load())/elapsed.Seconds(), closedAt.Round(100*time.Millisecond),
		rss0>>20, peakRSS.Load()>>20, float64(growth)/(1<<20), allowed>>20, wouldPile>>20)
	if growth > allowed {
		t.Errorf("server RSS grew by %.1f MiB under stalled clients, more than %d MiB (%d outboxes of %d KiB plus %d MiB slack)",
			float64(growth)/(1<<20), allowed>>20, stalled, outbox>>10, slackBytes>>20)
	}

	// Readers got every acked broadcast, in order.
	want := acked.Load()
	if !waitFor(15*time.Second, func() bool {
		for _, r := range rs {
			if r.got.Load() < want {
				return false
			}
		}
		return true
	}) {
		for i, r := range rs {
			t.Errorf("reader%d received %d of %d broadcasts", i, r.got.Load(), want)
		}
	}
	for i, r := range rs {
		if n := r.badSeqs.Load(); n > 0 {
			t.Errorf("reader%d saw %d out-of-order seqs", i, n)
		}
	}

	// The stalled clients' connections end; a close frame, if one made it
	// through, says 4008.
	for i, rc := range raws {
		code, read, ended := rc.Drain(15 * time.Second)
		if !ended {
			t.Errorf("stalled%d: connection still open after draining %d bytes", i, read)
		}
		if code != 0 && code != engine.CloseSlowConsumer {
			t.Errorf("stalled%d: closed with %d, want 4008", i, code)
		}
		t.Logf("stalled%d: drained %d KiB, close code %d (0: none made it)", i, read>>10, code)
	}

	// What the stalled sessions held is released.
	end, err := srv.stats(true)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("heap in use after GC: %d KiB before the load, %d KiB after; goroutines %d -> %d",
		base.HeapInuse>>10, end.HeapInuse>>10, base.Goroutines, end.Goroutines)
	if end.HeapInuse > base.HeapInuse+8<<20 {
		t.Errorf("heap in use after GC grew from %d KiB to %d KiB: the closed sessions' memory was not released", base.HeapInuse>>10, end.HeapInuse>>10)
	}
	if end.Goroutines > base.Goroutines {
		t.Errorf("goroutines grew from %d to %d with %d fewer sessions", base.Goroutines, end.Goroutines, stalled)
	}
}
