package pgtest

import (
	"bytes"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy is a TCP proxy on loopback between a store and the database.
// Once armed, it passes the next message holding its cut bytes (by
// default a COMMIT) on to the server and then closes the store's side at
// once: the server does the work, but its answer never arrives. While
// stalled, it holds what the store sends: the server hears of it only
// once the stall ends.
type Proxy struct {
	// Armed makes the proxy cut the store's connection after the next
	// message holding the cut bytes; it disarms itself when it does.
	Armed atomic.Bool
	// Stalled makes the proxy hold what the store sends until it is
	// false again.
	Stalled atomic.Bool
	// Cuts counts the connections the proxy has cut.
	Cuts atomic.Int64

	ln     net.Listener
	target string
	cut    []byte
	wg     sync.WaitGroup
}

// commitMessage is what a COMMIT statement holds on the wire.
var commitMessage = []byte("commit\x00")

// NewProxy starts a proxy to the database dsn names that cuts after a
// message holding cut (nil: a COMMIT), and returns it with the DSN that
// goes through it. It stops when the test ends.
func NewProxy(t testing.TB, dsn string, cut []byte) (*Proxy, string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cut == nil {
		cut = commitMessage
	}
	p := &Proxy{ln: ln, target: u.Host, cut: cut}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		_ = ln.Close()
		p.wg.Wait()
	})
	u.Host = ln.Addr().String()
	return p, u.String()
}

func (p *Proxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close()
			continue
		}
		closeBoth := func() { _ = client.Close(); _ = server.Close() }
		p.wg.Go(func() {
			defer closeBoth()
			_, _ = io.Copy(client, server)
		})
		p.wg.Go(func() {
			defer closeBoth()
			p.forward(client, server)
		})
	}
}

// forward copies what the store sends to the server, holding it while
// stalled and cutting the store's side after an armed cut.
func (p *Proxy) forward(client, server net.Conn) {
	buf := make([]byte, 64<<10)
	for {
		n, err := client.Read(buf)
		for p.Stalled.Load() {
			time.Sleep(5 * time.Millisecond)
		}
		if n > 0 {
			if _, werr := server.Write(buf[:n]); werr != nil {
				return
			}
			if bytes.Contains(buf[:n], p.cut) && p.Armed.CompareAndSwap(true, false) {
				p.Cuts.Add(1)
				_ = client.Close()
				return
			}
		}
		if err != nil {
			return
		}
	}
}
