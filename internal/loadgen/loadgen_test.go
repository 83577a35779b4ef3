package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/loopback"
)

// TestParallelLimit: every step runs once, never more than limit at once.
func TestParallelLimit(t *testing.T) {
	const n, limit = 200, 5
	var running, peak atomic.Int32
	seen := make([]atomic.Int32, n)
	err := Parallel(context.Background(), n, limit, func(ctx context.Context, i int) error {
		now := running.Add(1)
		defer running.Add(-1)
		for p := peak.Load(); now > p && !peak.CompareAndSwap(p, now); p = peak.Load() {
		}
		seen[i].Add(1)
		time.Sleep(100 * time.Microsecond) // let the steps overlap
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range seen {
		if c := seen[i].Load(); c != 1 {
			t.Fatalf("step %d ran %d times", i, c)
		}
	}
	if p := peak.Load(); p > limit || p < 2 {
		t.Fatalf("peak concurrency %d, want 2 to %d", p, limit)
	}
}

// TestParallelFirstError: the first error comes back, the steps running
// see their ctx cancelled, and no step starts after it.
func TestParallelFirstError(t *testing.T) {
	boom := errors.New("boom")
	var started atomic.Int32
	var cancelled atomic.Bool
	running := make(chan struct{})
	err := Parallel(context.Background(), 1000, 4, func(ctx context.Context, i int) error {
		started.Add(1)
		switch {
		case i == 10:
			<-running
			return boom
		case i == 11: // still running when step 10 fails
			close(running)
			<-ctx.Done()
			cancelled.Store(true)
		case i > 11:
			<-ctx.Done()
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Parallel = %v, want boom", err)
	}
	if n := started.Load(); n > 10+4 {
		t.Fatalf("%d steps started, want at most 14 (limit 4 past the failing one)", n)
	}
	if !cancelled.Load() {
		t.Fatal("no running step saw its ctx cancelled")
	}
}

// TestParallelCancelled: a cancelled ctx stops Parallel with ctx.Err().
func TestParallelCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var started atomic.Int32
	err := Parallel(ctx, 1000, 1, func(ctx context.Context, i int) error {
		if started.Add(1) == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Parallel = %v, want context.Canceled", err)
	}
	if n := started.Load(); n > 4 {
		t.Fatalf("%d steps started after the cancel at the third", n)
	}
}

func TestUserURL(t *testing.T) {
	for _, tc := range []struct{ base, user, want string }{
		{"ws://127.0.0.1:1/ws", "u1", "ws://127.0.0.1:1/ws?user=u1"},
		{"ws://127.0.0.1:1/?x=1", "bot-0-1", "ws://127.0.0.1:1/?x=1&user=bot-0-1"},
		{"ws://localhost/", "a b&c", "ws://localhost/?user=a+b%26c"},
	} {
		if got := UserURL(tc.base, tc.user); got != tc.want {
			t.Errorf("UserURL(%q, %q) = %q, want %q", tc.base, tc.user, got, tc.want)
		}
	}
}

func TestStartCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	stop, err := StartCPUProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := StartCPUProfile(filepath.Join(t.TempDir(), "second")); err == nil {
		t.Error("a second profile started while one runs")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatalf("second stop: %v", err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Fatalf("profile file: %v, %v", fi, err)
	}
	if _, err := StartCPUProfile(filepath.Join(t.TempDir(), "no", "such", "dir")); err == nil {
		t.Error("StartCPUProfile into a missing directory: no error")
	}
}

// TestCloseAll closes real clients of a loopback server, skipping nil
// ones.
func TestCloseAll(t *testing.T) {
	e, err := engine.New(engine.Config{Authenticate: loopback.AuthenticateQuery, Secret: []byte("loadgen test secret")})
	if err != nil {
		t.Fatal(err)
	}
	addr, stop, err := loopback.Serve("127.0.0.1:0", e, e)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	clients := make([]*client.Client, 5)
	var mu sync.Mutex
	err = Parallel(context.Background(), len(clients)-1, 2, func(ctx context.Context, i int) error {
		c, err := client.Dial(ctx, UserURL("ws://"+addr+"/", "u"+string(rune('a'+i))), client.Options{})
		mu.Lock()
		clients[i] = c
		mu.Unlock()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	CloseAll(clients) // clients[4] is nil
	for i, c := range clients[:4] {
		select {
		case <-c.Done():
		default:
			t.Fatalf("client %d still running after CloseAll", i)
		}
		if !errors.Is(c.Err(), client.ErrClosed) {
			t.Fatalf("client %d: Err() = %v, want ErrClosed", i, c.Err())
		}
	}
}

// TestInterruptible: an interrupt ends fn's context instead of the
// process, and the profile is written when fn returns.
func TestInterruptible(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	boom := errors.New("boom")
	err := Interruptible(path, func(ctx context.Context) error {
		p, err := os.FindProcess(os.Getpid())
		if err != nil {
			return err
		}
		if err := p.Signal(os.Interrupt); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("cannot interrupt this process: %v", err)
			}
			t.Skipf("cannot interrupt this process here: %v", err)
		}
		select {
		case <-ctx.Done():
			return boom
		case <-time.After(10 * time.Second):
			return errors.New("the interrupt did not end the context")
		}
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Interruptible = %v, want fn's error", err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Fatalf("profile file: %v, %v", fi, err)
	}
}

// TestWriteJSON writes a Result and reads it back.
func TestWriteJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	in := Result{Tool: "t", Mode: Mode(5), Unit: "moves", Offered: 5, Rate: 4.5, Seconds: 2, Latency: Summary{Count: 9, P99: 1.5}}
	if err := WriteJSON(path, in); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out Result
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out != in || out.Mode != ModeOpen || Mode(0) != ModeClosed {
		t.Fatalf("read back %+v", out)
	}
	if err := WriteJSON(filepath.Join(t.TempDir(), "no", "dir"), in); err == nil {
		t.Fatal("WriteJSON into a missing directory: no error")
	}
}
