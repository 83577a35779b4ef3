package wstest

import (
	"net"
	"sync"
	"testing"
	"time"
)

// Proxy is a TCP relay on loopback in front of a server. It breaks
// connections the way networks and crashed processes do: Cut resets them
// without any WebSocket close, Freeze holds the server's bytes in flight
// (until Thaw), Stall also stops taking the clients' bytes, and
// CutClientSide leaves the server talking to a peer that is gone.
type Proxy struct {
	ln net.Listener
	wg sync.WaitGroup

	mu       sync.Mutex
	target   string
	links    []*link
	accepted int
}

// link is one relayed connection.
type link struct {
	client, server *net.TCPConn

	mu     sync.Mutex
	cond   *sync.Cond
	frozen bool
	// stalled: the clients' bytes are no longer read (Stall), so their
	// writes block once the kernel's buffers are full.
	stalled bool
	dead    bool
	// keepServer: when the link dies, leave the server side open.
	keepServer bool
	downDone   chan struct{} // closed when pipeDown has returned
}

// StartProxy relays connections on a new loopback port to target
// (host:port). It fails the test if it cannot listen, and closes every
// connection when the test ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// Addr is the address clients dial.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetTarget points the connections accepted from now on at another
// server.
func (p *Proxy) SetTarget(addr string) {
	p.mu.Lock()
	p.target = addr
	p.mu.Unlock()
}

// Accepted counts the connections relayed so far (those whose server side
// could be dialed).
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		target := p.target
		p.mu.Unlock()
		s, err := net.Dial("tcp", target)
		if err != nil {
			reset(c.(*net.TCPConn))
			continue
		}
		l := &link{client: c.(*net.TCPConn), server: s.(*net.TCPConn), downDone: make(chan struct{})}
		l.cond = sync.NewCond(&l.mu)
		p.mu.Lock()
		p.links = append(p.links, l)
		p.accepted++
		p.mu.Unlock()
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			l.pipeUp()
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

// pipeUp copies the client's bytes to the server, and stops reading them
// while the link is stalled.
func (l *link) pipeUp() {
	buf := make([]byte, 32<<10)
	for {
		l.mu.Lock()
		for l.stalled && !l.dead {
			l.cond.Wait()
		}
		dead := l.dead
		l.mu.Unlock()
		if dead {
			return
		}
		n, err := l.client.Read(buf)
		if n > 0 {
			if _, werr := l.server.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
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

// kill resets both sides of the link, or only the client's once
// keepServer is set.
func (l *link) kill() {
	l.mu.Lock()
	l.dead = true
	l.cond.Broadcast()
	keep := l.keepServer
	l.mu.Unlock()
	reset(l.client)
	if !keep {
		reset(l.server)
	}
}

// reset closes c with an RST instead of a FIN: an abrupt end.
func reset(c *net.TCPConn) {
	_ = c.SetLinger(0)
	_ = c.Close()
}

// live returns the links whose connections are still up.
func (p *Proxy) live() []*link {
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

// Freeze holds the server's bytes to the clients of every live connection
// from now on, the way a reply is lost in flight; the clients still reach
// the server.
func (p *Proxy) Freeze() {
	for _, l := range p.live() {
		l.mu.Lock()
		l.frozen = true
		l.mu.Unlock()
	}
}

// Stall makes every live connection a peer that vanished without a word
// (a host gone, a cable out): the server's bytes are held, as by Freeze,
// and the clients' bytes are no longer read, so a client that keeps
// writing blocks once the kernel's buffers are full. Thaw undoes it.
func (p *Proxy) Stall() {
	for _, l := range p.live() {
		l.mu.Lock()
		l.frozen, l.stalled = true, true
		l.mu.Unlock()
	}
}

// Thaw lets the bytes that Freeze held go on to the clients, and relays
// the bytes of both sides as they come again.
func (p *Proxy) Thaw() {
	for _, l := range p.live() {
		l.mu.Lock()
		l.frozen, l.stalled = false, false
		l.cond.Broadcast()
		l.mu.Unlock()
	}
}

// Cut resets every live connection on both sides at once, and returns how
// many there were. Bytes held by Freeze are dropped.
func (p *Proxy) Cut() int {
	ls := p.live()
	for _, l := range ls {
		l.kill()
	}
	return len(ls)
}

// CutClientSide resets the client side of every live connection but
// leaves the server side open and silent, the way a server sees a peer
// that vanished without a trace: it learns of it only from its heartbeat,
// or when the client comes back with its resume token. The proxy stops
// reading the server side and returns those connections: what the server
// sends on them from now on is the caller's to read.
func (p *Proxy) CutClientSide() []*net.TCPConn {
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

func (p *Proxy) close() {
	_ = p.ln.Close()
	p.Cut()
	p.mu.Lock()
	for _, l := range p.links {
		reset(l.server)
	}
	p.mu.Unlock()
	p.wg.Wait()
}
