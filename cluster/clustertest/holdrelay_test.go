package clustertest

import (
	"io"
	"net"
	"slices"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
)

// holdRelay is a TCP relay on loopback in front of a NATS server whose
// client-to-server direction can be held: while held, the relay reads
// nothing from its client (past the read under way when Hold is called),
// so the client's writes wait in the kernel's socket buffers and the
// server has nothing to process. It keeps the server's allocations out of
// an allocation count of the client's calls (the server runs in the
// test's process).
type holdRelay struct {
	ln net.Listener
	wg sync.WaitGroup

	mu    sync.Mutex
	cond  *sync.Cond
	held  bool
	done  bool
	conns []net.Conn
}

// startHoldRelay relays the connections it accepts on a new loopback port
// to target (host:port), and closes them when the test ends.
func startHoldRelay(t testing.TB, target string) *holdRelay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &holdRelay{ln: ln}
	r.cond = sync.NewCond(&r.mu)
	r.wg.Go(func() { r.accept(target) })
	t.Cleanup(r.close)
	return r
}

// accept relays each connection it accepts until the listener closes.
func (r *holdRelay) accept(target string) {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", target)
		if err != nil {
			_ = c.Close()
			continue
		}
		r.mu.Lock()
		if r.done {
			r.mu.Unlock()
			_ = c.Close()
			_ = s.Close()
			return
		}
		r.conns = append(r.conns, c, s)
		r.mu.Unlock()
		r.wg.Go(func() { _, _ = io.Copy(c, s) })
		r.wg.Go(func() { r.pipeUp(c, s) })
	}
}

// close stops the relay and waits for its goroutines.
func (r *holdRelay) close() {
	_ = r.ln.Close()
	r.mu.Lock()
	r.done = true
	r.cond.Broadcast()
	for _, c := range r.conns {
		_ = c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// URL is the relay's address as a NATS URL.
func (r *holdRelay) URL() string { return "nats://" + r.ln.Addr().String() }

// Hold stops the relay reading the client's bytes until Release.
func (r *holdRelay) Hold() {
	r.mu.Lock()
	r.held = true
	r.mu.Unlock()
}

// Release lets the client's bytes through again.
func (r *holdRelay) Release() {
	r.mu.Lock()
	r.held = false
	r.cond.Broadcast()
	r.mu.Unlock()
}

// pipeUp copies the client's bytes to the server, waiting before each
// read while the relay is held.
func (r *holdRelay) pipeUp(c, s net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		r.mu.Lock()
		for r.held && !r.done {
			r.cond.Wait()
		}
		done := r.done
		r.mu.Unlock()
		if done {
			return
		}
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := s.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// leastAllocs counts the allocations of publish, run 200 times while the
// relay holds what nc writes, three times over, and returns the least of
// the three counts (see TestNATSBrokerPublishAllocs for why). After each
// count the held messages reach the server: nc still works.
func leastAllocs(t *testing.T, relay *holdRelay, nc *nats.Conn, publish func() error) float64 {
	t.Helper()
	var counts []float64
	for range 3 {
		relay.Hold()
		counts = append(counts, testing.AllocsPerRun(200, func() {
			if err := publish(); err != nil {
				t.Fatal(err)
			}
		}))
		relay.Release()
		if err := nc.Flush(); err != nil {
			t.Fatalf("flush after a count: %v", err)
		}
	}
	return slices.Min(counts)
}
