package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/internal/procstat"
)

// fanoutBench is one engine on httptest loopback with clients joined to
// one echo room, each client drained by a goroutine that counts "said"
// events.
type fanoutBench struct {
	e       *engine.Engine
	srv     *httptest.Server
	clients []*client.Client
	room    string

	target  int            // events each reader waits for
	reached sync.WaitGroup // one per reader, done at target
	readers sync.WaitGroup // one per reader, done when Events closes
	total   atomic.Int64
}

// newFanoutBench starts the engine, with obs as its Observer (nil for
// none), and connects n clients, each expecting target events. Setup is
// bounded by a 60s deadline.
func newFanoutBench(b *testing.B, n, target int, obs engine.Observer) *fanoutBench {
	b.Helper()
	e, err := engine.New(engine.Config{
		Authenticate: func(r *http.Request) (string, error) { return r.URL.Query().Get("user"), nil },
		Secret:       []byte("bench"),
		RateLimit:    -1, // one sender sends thousands of frames a second
		Observer:     obs,
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := e.Register(echo.Module{}); err != nil {
		b.Fatal(err)
	}
	fb := &fanoutBench{e: e, srv: httptest.NewServer(e), target: target}
	base := "ws" + strings.TrimPrefix(fb.srv.URL, "http") + "/?user="
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	fb.clients = make([]*client.Client, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 32) // bounded dialing
	var wg sync.WaitGroup
	for i := range fb.clients {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c, err := client.Dial(ctx, fmt.Sprintf("%su%d", base, i), client.Options{Reconnect: client.ReconnectPolicy{Disabled: true}})
			if err != nil {
				errs <- err
				return
			}
			fb.clients[i] = c
			j, err := c.Join(ctx, echo.Kind, echo.JoinParams{Name: "bench"})
			if err != nil {
				errs <- err
				return
			}
			if i == 0 {
				fb.room = j.Room
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		fb.close()
		b.Fatalf("setup: %v", err)
	}
	for _, c := range fb.clients {
		fb.reached.Add(1)
		fb.readers.Add(1)
		go fb.read(c)
	}
	return fb
}

func (fb *fanoutBench) read(c *client.Client) {
	defer fb.readers.Done()
	n := 0
	for ev := range c.Events() {
		if ev.Name != "said" {
			continue
		}
		n++
		fb.total.Add(1)
		if n == fb.target {
			fb.reached.Done()
		}
	}
	if n < fb.target {
		fb.reached.Done() // closed early; the count tells
	}
}

// close stops everything newFanoutBench started.
func (fb *fanoutBench) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = fb.e.Shutdown(ctx)
	var wg sync.WaitGroup
	for _, c := range fb.clients {
		if c != nil {
			wg.Go(func() { _ = c.Close() })
		}
	}
	wg.Wait()
	fb.readers.Wait()
	fb.srv.Close()
}

// BenchmarkFanoutLoopback measures end-to-end fan-out over real
// WebSockets on loopback: 1,000 clients in one echo room, one of them
// sending ~100-byte say events with up to 16 requests in flight. One op
// is one broadcast, complete when every client has received it, so
// deliveries/s = 1,000 * ops / elapsed. Clients and server share the
// process (and its cores).
func BenchmarkFanoutLoopback(b *testing.B) { benchFanoutLoopback(b, nil) }

// benchFanoutLoopback is BenchmarkFanoutLoopback with obs as the engine's
// Observer (nil for none).
func benchFanoutLoopback(b *testing.B, obs engine.Observer) {
	const clients, inflight = 1000, 16
	fb := newFanoutBench(b, clients, b.N, obs)
	defer fb.close()
	data, err := codec.MarshalData(echo.SayData{Text: strings.Repeat("x", 100)})
	if err != nil {
		b.Fatal(err)
	}
	sender := fb.clients[0]
	ctx := context.Background()
	sem := make(chan struct{}, inflight)
	var sendErr atomic.Value
	var wg sync.WaitGroup

	b.ReportAllocs()
	b.ResetTimer()
	start, cpu := time.Now(), procstat.ReadCPU()
	for range b.N {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := sender.Send(ctx, fb.room, "say", data); err != nil {
				sendErr.CompareAndSwap(nil, err)
			}
		})
	}
	wg.Wait()
	done := make(chan struct{})
	go func() { fb.reached.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
	}
	elapsed := time.Since(start)
	b.StopTimer()
	reportCPU(b, cpu)
	if err, _ := sendErr.Load().(error); err != nil {
		b.Fatalf("send: %v", err)
	}
	got, want := fb.total.Load(), int64(b.N)*clients
	if got != want {
		b.Fatalf("delivered %d events, want %d", got, want)
	}
	b.ReportMetric(float64(got)/elapsed.Seconds(), "deliveries/s")
}
