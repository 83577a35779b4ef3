package faulttest

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// proxy is a TCP relay between clients and the server. It exists to break
// connections the way networks do, which neither side can do to itself
// through its WebSocket library: cut resets a connection without any
// WebSocket close, and freeze stops the server's bytes from reaching the
// client while they pile up in the proxy (a reply lost in flight).
type proxy struct {
	t      testing.TB
	ln     net.Listener
	target string

	mu    sync.Mutex
	links []*link
	wg    sync.WaitGroup
}

// link is one relayed connection.
type link struct {
	client, server *net.TCPConn

	mu     sync.Mutex
	frozen bool
	cond   *sync.Cond
	dead   bool
	// keepServer: when the link dies, leave the server side open.
	keepServer bool
	downDone   chan struct{} // closed when pipeDown has returned
}

// startProxy relays connections on a new loopback port to target.
func startProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// Addr is the address clients dial.
func (p *proxy) Addr() string { return p.ln.Addr().String() }

// URL returns the WebSocket URL, through the proxy, that authenticates as
// user.
func (p *proxy) URL(user string) string { return "ws://" + p.Addr() + "/ws?user=" + user }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			resetConn(c.(*net.TCPConn))
			continue
		}
		l := &link{client: c.(*net.TCPConn), server: s.(*net.TCPConn), downDone: make(chan struct{})}
		l.cond = sync.NewCond(&l.mu)
		p.mu.Lock()
		p.links = append(p.links, l)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			_, _ = io.Copy(l.server, l.client)
			l.kill()
		}()
		go func() {
			defer p.wg.Done()
			defer close(l.downDone)
			l.pipeDown()
			l.kill()
		}()
	}
}

// pipeDown copies the server's bytes to the client, holding them while the
// link is frozen.
func (l *link) pipeDown() {
	buf := make([]byte, 32<<10)
	for {
		n, err := l.server.Read(buf)
		if n > 0 {
			l.mu.Lock()
			for l.frozen && !l.dead {
				l.cond.Wait()
			}
			dead := l.dead
			l.mu.Unlock()
			if dead {
				return
			}
			if _, werr := l.client.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// kill resets both sides of the link, or only the client's after
// cutClientSide.
func (l *link) kill() {
	l.mu.Lock()
	l.dead = true
	l.cond.Broadcast()
	keep := l.keepServer
	l.mu.Unlock()
	resetConn(l.client)
	if !keep {
		resetConn(l.server)
	}
}

// resetConn closes c with an RST instead of a FIN: an abrupt end.
func resetConn(c *net.TCPConn) {
	_ = c.SetLinger(0)
	_ = c.Close()
}

// live returns the links whose connections are still up.
func (p *proxy) live() []*link {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*link
	for _, l := range p.links {
		l.mu.Lock()
		if !l.dead {
			out = append(out, l)
		}
		l.mu.Unlock()
	}
	return out
}

// freeze holds the server's bytes to the clients of every live link from
// now on; the client still reaches the server.
func (p *proxy) freeze() {
	for _, l := range p.live() {
		l.mu.Lock()
		l.frozen = true
		l.mu.Unlock()
	}
}

// cut resets every live link on both sides at once, and returns how many
// there were. Bytes held by freeze are dropped.
func (p *proxy) cut() int {
	ls := p.live()
	for _, l := range ls {
		l.kill()
	}
	return len(ls)
}

// cutClientSide resets the client side of every live link but leaves the
// server side open and silent, the way a server sees a peer that vanished
// without a trace: it learns of it only from its heartbeat, or when the
// client comes back with its resume token. The proxy stops reading the
// server side, and returns those connections: what the server sends on
// them from now on is the caller's to read.
func (p *proxy) cutClientSide() []*net.TCPConn {
	var out []*net.TCPConn
	for _, l := range p.live() {
		l.mu.Lock()
		l.keepServer = true
		l.mu.Unlock()
		l.kill()
		_ = l.server.SetReadDeadline(time.Unix(1, 0)) // wake pipeDown's read
		<-l.downDone
		_ = l.server.SetReadDeadline(time.Time{})
		out = append(out, l.server)
	}
	return out
}

func (p *proxy) close() {
	_ = p.ln.Close()
	p.cut()
	p.mu.Lock()
	for _, l := range p.links {
		resetConn(l.server)
	}
	p.mu.Unlock()
	p.wg.Wait()
}
