package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/lxzan/gws"
	"github.com/parlorhq/parlor/codec"
)

// conn is one WebSocket connection of a client. A client has at most one
// at a time, and the read loop of a connection has ended before the next
// one is dialed, so frames of two connections are never dispatched at
// once.
type conn struct {
	c          *Client
	ws         *gws.Conn
	connectRef uint64
	// handshake receives the connected frame, or the error frame that
	// refuses the connect.
	handshake chan result
	// closed is closed when the read loop has ended; err (set before) says
	// why.
	closed chan struct{}
	err    error
	// fatal is set by the read loop when the server sent a message that
	// is not valid parlor.v1.
	fatal error
	// idle is the read idle timeout in nanoseconds, 0 for none: nothing
	// from the server for that long means the connection is dead.
	idle atomic.Int64
	// abandoned holds the joins whose caller gave up, by ref: a late
	// joined gets a leave, unless a retry of the join is under way.
	// Guarded by Client.mu.
	abandoned map[uint64]*call
	// abandonedLeaves holds the rooms of leaves whose caller gave up, by
	// ref: a late answer still ends the room (leaveAnswered). Guarded by
	// Client.mu.
	abandonedLeaves map[uint64]*roomState
	// opened is when the handshake completed.
	opened time.Time
}

// dial opens a WebSocket connection and performs the connect handshake,
// presenting token. It returns the connection and its connected frame.
func (c *Client) dial(ctx context.Context, token string) (*conn, *codec.Frame, error) {
	timeout := c.opts.RequestTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	header, err := c.upgradeHeader(ctx)
	if err != nil {
		return nil, nil, err
	}
	cn := &conn{
		c:               c,
		handshake:       make(chan result, 1),
		closed:          make(chan struct{}),
		abandoned:       make(map[uint64]*call),
		abandonedLeaves: make(map[uint64]*roomState),
	}
	d := &ctxDialer{ctx: ctx}
	ws, resp, err := gws.NewClient(&handler{cn: cn}, &gws.ClientOption{
		Addr:                c.url,
		RequestHeader:       header,
		HandshakeTimeout:    timeout,
		ReadMaxPayloadSize:  c.opts.ReadLimit,
		WriteMaxPayloadSize: maxWrite,
		PermessageDeflate:   gws.PermessageDeflate{Enabled: c.opts.Compression, ServerContextTakeover: true, ClientContextTakeover: true},
		NewDialer:           func() (gws.Dialer, error) { return d, nil },
	})
	if d.stop != nil && !d.stop() && err == nil {
		// The context ended during the upgrade and closed the socket.
		err = ctx.Err()
	}
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, nil, &UpgradeError{StatusCode: resp.StatusCode}
		}
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%v)", ctxErr, err)
		}
		return nil, nil, fmt.Errorf("client: dial: %w", err)
	}
	if ws.SubProtocol() != Subprotocol {
		_ = ws.WriteClose(1002, nil)
		return nil, nil, errSubprotocol
	}
	cn.ws = ws
	cn.connectRef = c.nextRef.Add(1)
	go func() {
		ws.ReadLoop()
		close(cn.closed)
	}()
	if err := ws.WriteMessage(gws.OpcodeBinary, codec.AppendConnectFeatures(nil, cn.connectRef, c.opts.Client, token, c.features())); err != nil {
		cn.shut()
		// A server that closes the connection at once (a user signed out
		// during the upgrade, say) may close it while the connect frame is
		// written: its close frame, which the read loop recorded, says why.
		var ce *CloseError
		if errors.As(cn.err, &ce) {
			return nil, nil, ce
		}
		return nil, nil, fmt.Errorf("client: write: %w", err)
	}
	select {
	case res := <-cn.handshake:
		if res.err != nil {
			cn.shut()
			return nil, nil, res.err
		}
		cn.opened = time.Now()
		if hb := time.Duration(res.frame.HeartbeatMS) * time.Millisecond; hb > 0 {
			// The server pings every hb: allow two missed pings and some
			// slack before declaring the connection dead.
			cn.idle.Store(int64(2*hb + 5*time.Second))
			cn.extend()
		}
		return cn, &res.frame, nil
	case <-cn.closed:
		return nil, nil, cn.err
	case <-ctx.Done():
		cn.shut()
		return nil, nil, ctx.Err()
	}
}

// upgradeHeader returns the headers of one upgrade request: Options.Header
// with what Options.HeaderFunc returns over it.
func (c *Client) upgradeHeader(ctx context.Context) (http.Header, error) {
	fn := c.opts.HeaderFunc
	if fn == nil {
		return c.header, nil
	}
	extra, err := fn(ctx)
	if err != nil {
		return nil, fmt.Errorf("client: header: %w", err)
	}
	h := c.header.Clone()
	for k, vs := range extra {
		h.Del(k)
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	h.Set("Sec-WebSocket-Protocol", Subprotocol)
	return h, nil
}

// shut closes the connection with 1000 and waits for its read loop.
func (cn *conn) shut() {
	_ = cn.ws.WriteClose(1000, nil)
	<-cn.closed
}

// drop closes the socket without a close frame, as a network failure
// would.
func (cn *conn) drop() { _ = cn.ws.NetConn().Close() }

// extend pushes the read deadline idle into the future.
func (cn *conn) extend() {
	if d := cn.idle.Load(); d > 0 {
		_ = cn.ws.SetReadDeadline(time.Now().Add(time.Duration(d)))
	}
}

// write writes one binary message. On failure the WebSocket library
// closes the connection, and the read loop reports the loss.
func (cn *conn) write(msg []byte) error {
	if err := cn.ws.WriteMessage(gws.OpcodeBinary, msg); err != nil {
		return fmt.Errorf("client: write: %w", err)
	}
	return nil
}

// ctxDialer dials TCP with a context, and closes the socket if the
// context ends before stop is called, which aborts an upgrade under way.
type ctxDialer struct {
	ctx  context.Context
	stop func() bool
}

// Dial implements gws.Dialer.
func (d *ctxDialer) Dial(network, addr string) (net.Conn, error) {
	var nd net.Dialer
	nc, err := nd.DialContext(d.ctx, network, addr)
	if err != nil {
		return nil, err
	}
	d.stop = context.AfterFunc(d.ctx, func() { _ = nc.Close() })
	return nc, nil
}

// handler receives the gws events of one connection. They all run on the
// connection's read loop goroutine.
type handler struct {
	cn *conn
}

func (h *handler) OnOpen(*gws.Conn) {}

func (h *handler) OnClose(_ *gws.Conn, err error) {
	cn := h.cn
	var ce *gws.CloseError
	switch {
	case cn.fatal != nil:
		cn.err = cn.fatal
	case errors.As(err, &ce):
		cn.err = &CloseError{Code: ce.Code, Reason: string(ce.Reason)}
	case err != nil:
		cn.err = fmt.Errorf("client: connection lost: %w", err)
	default:
		cn.err = errors.New("client: connection lost")
	}
}

func (h *handler) OnPing(c *gws.Conn, payload []byte) {
	h.cn.extend()
	_ = c.WritePong(payload)
}

func (h *handler) OnPong(*gws.Conn, []byte) { h.cn.extend() }

func (h *handler) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	cn := h.cn
	err := codec.DecodeMessage(m.Bytes(), 0, func(f *codec.Frame) error { return cn.c.dispatch(cn, f) })
	if err != nil {
		cn.fatal = fmt.Errorf("%w: %v", errMalformed, err)
		_ = c.WriteClose(1007, []byte("malformed frame"))
		return
	}
	// Count the idle time from now, after delivering the events (which
	// may have waited for the application).
	cn.extend()
}
