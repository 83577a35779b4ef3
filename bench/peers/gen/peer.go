package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/lxzan/gws"
)

// handshakeTimeout bounds a connection's upgrade and its join.
const handshakeTimeout = 15 * time.Second

// peer is one generator connection. Until it has joined, the messages it
// receives go to the handshake; after, they are scanned for payloads.
type peer struct {
	gws.BuiltinEventHandler
	id    int
	proto proto
	ws    *gws.Conn
	sink  *sink // nil in idle mode

	ready     atomic.Bool
	handshake chan []byte
	closed    chan struct{}
	closeErr  atomic.Value // error

	// Protocol state set during the join, used by the sender.
	roomID string // the server's name for the room (Parlor)
	ref    uint64 // the last request id (Parlor, centrifuge)

	delivered atomic.Int64
}

// dialPeer connects peer id to the server at base and joins it to room.
func dialPeer(ctx context.Context, pr proto, base string, id int, room string, sk *sink) (*peer, error) {
	p := &peer{
		id: id, proto: pr, sink: sk,
		handshake: make(chan []byte, 16),
		closed:    make(chan struct{}),
	}
	url, header := pr.target(base, id, room)
	dialer := &net.Dialer{Timeout: handshakeTimeout}
	ws, resp, err := gws.NewClient(p, &gws.ClientOption{
		Addr:               url,
		RequestHeader:      header,
		HandshakeTimeout:   handshakeTimeout,
		ReadMaxPayloadSize: 1 << 20,
		NewDialer:          func() (gws.Dialer, error) { return dialer, nil },
	})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, fmt.Errorf("peer %d: upgrade: HTTP %d", id, resp.StatusCode)
		}
		return nil, fmt.Errorf("peer %d: dial: %w", id, err)
	}
	p.ws = ws
	go ws.ReadLoop()
	ctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	if err := pr.join(ctx, p, room); err != nil {
		p.close()
		return nil, fmt.Errorf("peer %d: join: %w", id, err)
	}
	p.ready.Store(true)
	return p, nil
}

// write sends one message.
func (p *peer) write(op gws.Opcode, msg []byte) error {
	return p.ws.WriteMessage(op, msg)
}

// await returns the next message received during the handshake.
func (p *peer) await(ctx context.Context) ([]byte, error) {
	select {
	case m := <-p.handshake:
		return m, nil
	case <-p.closed:
		err, _ := p.closeErr.Load().(error)
		return nil, fmt.Errorf("connection closed: %v", err)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// close closes the connection and waits for its read loop to end.
func (p *peer) close() {
	_ = p.ws.WriteClose(1000, nil)
	select {
	case <-p.closed:
	case <-time.After(2 * time.Second):
		_ = p.ws.NetConn().Close()
		<-p.closed
	}
}

// err is why the connection closed, or nil while it is open.
func (p *peer) err() error {
	select {
	case <-p.closed:
		err, _ := p.closeErr.Load().(error)
		if err == nil {
			err = errors.New("closed")
		}
		return err
	default:
		return nil
	}
}

// OnClose records why the connection ended.
func (p *peer) OnClose(_ *gws.Conn, err error) {
	if err != nil {
		p.closeErr.Store(err)
	}
	close(p.closed)
}

// OnMessage answers protocol pings, hands handshake messages over, and
// counts the payloads of a joined peer.
func (p *peer) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	b := m.Bytes()
	if reply := p.proto.pong(b); reply != nil {
		_ = c.WriteMessage(gws.OpcodeText, reply)
	}
	if !p.ready.Load() {
		select {
		case p.handshake <- append([]byte(nil), b...):
		default: // a handshake never has this many messages in flight
		}
		return
	}
	if p.sink != nil {
		p.sink.scan(p, b)
	}
}
