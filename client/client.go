// Package client is the Go client for Parlor's parlor.v1 protocol. Tests,
// bots and the load generator use it; so can Go services that talk to a
// Parlor server.
//
// A Client is safe for concurrent use. Requests (Join, Leave, Send) are
// correlated with their replies by ref and wait for them; room events
// arrive on the Events channel in the order the server sent them.
package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lxzan/gws"
	"github.com/parlorhq/parlor/codec"
)

// Subprotocol is the WebSocket subprotocol the client offers.
const Subprotocol = "parlor.v1"

// Options configures Dial. Every field documents its zero-value default.
type Options struct {
	// Header is sent with the upgrade request: put the host's credentials
	// here (Cookie, Authorization) and, to act as a browser, Origin.
	// Default: none.
	Header http.Header
	// Client names this client in the connect frame. Default: "parlor-go".
	Client string
	// RequestTimeout bounds requests whose context has no deadline, and
	// the dial and handshake. Default: 10s.
	RequestTimeout time.Duration
	// EventBuffer is the capacity of the Events channel. When it is full
	// the client stops reading, and the server eventually closes a client
	// that falls too far behind. Default: 1024.
	EventBuffer int
	// ReadLimit is the largest message accepted from the server.
	// Default: 16 MiB.
	ReadLimit int
	// Compression offers permessage-deflate. Default: off.
	Compression bool
}

// Event is a room event, or a notice that the client left a room without
// asking (Left is then true and Reason says why).
type Event struct {
	// Room is the room id.
	Room string
	// Seq is the event's position in the room's stream; 0 for ephemeral
	// events.
	Seq uint64
	// Name is the event name.
	Name string
	// Data is the raw msgpack payload.
	Data []byte
	// Left is true for a left notice.
	Left bool
	// Reason is the left notice's reason, such as "kicked" or "shutdown".
	Reason string
}

// Decode decodes the event's payload into v.
func (e Event) Decode(v any) error { return codec.UnmarshalData(e.Data, v) }

// Joined is the answer to a join.
type Joined struct {
	// Room is the id of the room joined.
	Room string
	// Seq is the room's seq at the time of the join: events with a larger
	// seq follow.
	Seq uint64
	// Snapshot is the module's raw msgpack snapshot.
	Snapshot []byte
}

// Decode decodes the snapshot into v.
func (j *Joined) Decode(v any) error { return codec.UnmarshalData(j.Snapshot, v) }

// Reply is a successful reply's payload.
type Reply struct {
	// Data is the raw msgpack reply data, possibly empty.
	Data []byte
}

// Decode decodes the reply data into v.
func (r Reply) Decode(v any) error { return codec.UnmarshalData(r.Data, v) }

// SendOption sets a per-call option of Send.
type SendOption func(*sendOptions)

type sendOptions struct {
	clientMsgID string
}

// WithClientMsgID sets the client message id that makes a send
// idempotent: the server applies a resend with the same id only once.
func WithClientMsgID(id string) SendOption {
	return func(o *sendOptions) { o.clientMsgID = id }
}

// CloseError reports how the server closed the connection.
type CloseError struct {
	Code   uint16
	Reason string
}

// Error implements error.
func (e *CloseError) Error() string {
	return fmt.Sprintf("client: connection closed: %d %s", e.Code, e.Reason)
}

// Errors returned by the client.
var (
	// ErrClosed: the connection is closed.
	ErrClosed = errors.New("client: closed")
	// ErrUpgrade: the server refused the WebSocket upgrade; the error
	// wraps an *UpgradeError with the HTTP status.
	ErrUpgrade = errors.New("client: upgrade refused")
)

// UpgradeError is returned by Dial when the server answers the upgrade
// request with an HTTP status instead of switching protocols.
type UpgradeError struct {
	StatusCode int
}

// Error implements error.
func (e *UpgradeError) Error() string {
	return fmt.Sprintf("client: upgrade refused with HTTP %d", e.StatusCode)
}

// Unwrap makes errors.Is(err, ErrUpgrade) true.
func (e *UpgradeError) Unwrap() error { return ErrUpgrade }

// result is what a pending request receives.
type result struct {
	frame codec.Frame
	err   error
}

// Client is a connection to a Parlor server.
type Client struct {
	conn    *gws.Conn
	opts    Options
	session string
	user    string
	hb      time.Duration

	nextRef atomic.Uint64
	mu      sync.Mutex
	pending map[uint64]chan result
	closed  bool
	err     error

	events    chan Event
	done      chan struct{}
	closeOnce sync.Once
	handshake chan result
	readDone  chan struct{}
}

// Dial connects to url (ws:// or wss://), performs the connect handshake
// and returns a ready client.
func Dial(ctx context.Context, url string, opts Options) (*Client, error) {
	if opts.Client == "" {
		opts.Client = "parlor-go"
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 10 * time.Second
	}
	if opts.EventBuffer <= 0 {
		opts.EventBuffer = 1024
	}
	if opts.ReadLimit <= 0 {
		opts.ReadLimit = 16 << 20
	}
	header := opts.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	header.Set("Sec-WebSocket-Protocol", Subprotocol)
	c := &Client{
		opts:      opts,
		pending:   make(map[uint64]chan result),
		events:    make(chan Event, opts.EventBuffer),
		done:      make(chan struct{}),
		handshake: make(chan result, 1),
		readDone:  make(chan struct{}),
	}
	timeout := opts.RequestTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	conn, resp, err := gws.NewClient(&handler{c: c}, &gws.ClientOption{
		Addr:               url,
		RequestHeader:      header,
		HandshakeTimeout:   timeout,
		ReadMaxPayloadSize: opts.ReadLimit,
		PermessageDeflate:  gws.PermessageDeflate{Enabled: opts.Compression, ServerContextTakeover: true, ClientContextTakeover: true},
	})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, &UpgradeError{StatusCode: resp.StatusCode}
		}
		return nil, fmt.Errorf("client: dial: %w", err)
	}
	if conn.SubProtocol() != Subprotocol {
		_ = conn.WriteClose(1002, nil)
		return nil, fmt.Errorf("client: server did not accept subprotocol %s", Subprotocol)
	}
	c.conn = conn
	go func() {
		defer close(c.readDone)
		conn.ReadLoop()
	}()

	ref := c.nextRef.Add(1)
	if err := c.write(codec.AppendConnect(nil, ref, opts.Client, "")); err != nil {
		c.Close()
		return nil, err
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	select {
	case res := <-c.handshake:
		if res.err != nil {
			c.Close()
			return nil, res.err
		}
		c.session, c.user = res.frame.Session, res.frame.User
		c.hb = time.Duration(res.frame.HeartbeatMS) * time.Millisecond
		return c, nil
	case <-c.done:
		return nil, c.Err()
	case <-ctx.Done():
		c.Close()
		return nil, ctx.Err()
	}
}

// SessionID returns the server-assigned session id.
func (c *Client) SessionID() string { return c.session }

// UserID returns the user id the server authenticated.
func (c *Client) UserID() string { return c.user }

// Heartbeat returns the server's ping interval.
func (c *Client) Heartbeat() time.Duration { return c.hb }

// Events returns the channel of room events. It is closed when the
// connection closes.
func (c *Client) Events() <-chan Event { return c.events }

// Done is closed when the connection has closed.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err returns why the connection closed: a *CloseError when the server
// sent a close frame, ErrClosed after Close, or the I/O error. It is nil
// while the connection is open.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Join joins a room of module kind with params (nil, []byte of msgpack, or
// any value msgpack encodes).
func (c *Client) Join(ctx context.Context, kind string, params any) (*Joined, error) {
	raw, err := encode(params)
	if err != nil {
		return nil, err
	}
	res, err := c.request(ctx, func(ref uint64) []byte { return codec.AppendJoin(nil, ref, kind, raw, "", 0) })
	if err != nil {
		return nil, err
	}
	return &Joined{Room: res.Room, Seq: res.Seq, Snapshot: res.Snapshot}, nil
}

// Leave leaves a room.
func (c *Client) Leave(ctx context.Context, room string) error {
	_, err := c.request(ctx, func(ref uint64) []byte { return codec.AppendLeave(nil, ref, room) })
	return err
}

// Send sends an event to a room and waits for the server's reply. A
// rejected request returns a *codec.Error carrying the server's code.
func (c *Client) Send(ctx context.Context, room, event string, data any, opts ...SendOption) (Reply, error) {
	var o sendOptions
	for _, opt := range opts {
		opt(&o)
	}
	raw, err := encode(data)
	if err != nil {
		return Reply{}, err
	}
	res, err := c.request(ctx, func(ref uint64) []byte {
		return codec.AppendSend(nil, ref, room, event, raw, o.clientMsgID)
	})
	if err != nil {
		return Reply{}, err
	}
	return Reply{Data: res.Data}, nil
}

// WriteRaw sends msg as one binary WebSocket message, as is. It exists for
// tests that need to send malformed or hand-built frames.
func (c *Client) WriteRaw(msg []byte) error { return c.write(msg) }

// Close closes the connection with 1000 and waits for the read loop to
// end.
func (c *Client) Close() error {
	c.fail(ErrClosed)
	if c.conn != nil {
		_ = c.conn.WriteClose(1000, nil)
		<-c.readDone
	}
	return nil
}

// request sends a frame built for a fresh ref and waits for its answer.
func (c *Client) request(ctx context.Context, build func(ref uint64) []byte) (*codec.Frame, error) {
	if err := ctx.Err(); err != nil {
		return nil, err // never send a request that was already abandoned
	}
	ref := c.nextRef.Add(1)
	ch := make(chan result, 1)
	c.mu.Lock()
	if c.closed {
		err := c.err
		c.mu.Unlock()
		return nil, err
	}
	c.pending[ref] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, ref)
		c.mu.Unlock()
	}()
	if err := c.write(build(ref)); err != nil {
		return nil, err
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	select {
	case res := <-ch:
		if res.err != nil {
			return nil, res.err
		}
		return &res.frame, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.opts.RequestTimeout)
}

func (c *Client) write(msg []byte) error {
	if err := c.conn.WriteMessage(gws.OpcodeBinary, msg); err != nil {
		if e := c.Err(); e != nil {
			return e
		}
		return fmt.Errorf("client: write: %w", err)
	}
	return nil
}

// fail records why the connection ended and releases every waiter.
func (c *Client) fail(err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.err = err
	pending := c.pending
	c.pending = make(map[uint64]chan result)
	c.mu.Unlock()
	for _, ch := range pending {
		ch <- result{err: err}
	}
	c.closeOnce.Do(func() { close(c.done) })
}

// dispatch routes one frame from the server.
func (c *Client) dispatch(f *codec.Frame) error {
	switch f.Type {
	case codec.TypeConnected:
		select {
		case c.handshake <- result{frame: *f}:
		default:
		}
	case codec.TypeJoined, codec.TypeReply:
		var err error
		if f.Type == codec.TypeReply && f.Code != "" {
			err = &codec.Error{Code: f.Code, Message: f.Message}
		}
		fr := *f
		fr.Snapshot = clone(f.Snapshot)
		fr.Data = clone(f.Data)
		c.mu.Lock()
		ch := c.pending[f.Ref]
		c.mu.Unlock()
		if ch != nil {
			ch <- result{frame: fr, err: err}
		}
	case codec.TypeEvent, codec.TypeLeft:
		ev := Event{Room: f.Room, Seq: f.Seq, Name: f.Event, Data: clone(f.Data), Left: f.Type == codec.TypeLeft, Reason: f.Reason}
		select {
		case c.events <- ev:
		case <-c.done:
		}
	case codec.TypeError:
		err := &codec.Error{Code: f.Code, Message: f.Message}
		select {
		case c.handshake <- result{err: err}:
		default:
		}
	}
	return nil
}

func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

func encode(v any) ([]byte, error) {
	switch d := v.(type) {
	case nil:
		return nil, nil
	case []byte:
		return d, nil
	}
	return codec.MarshalData(v)
}

// handler receives gws events for one client connection.
type handler struct {
	c *Client
}

func (h *handler) OnOpen(*gws.Conn) {}

func (h *handler) OnClose(_ *gws.Conn, err error) {
	var ce *gws.CloseError
	if errors.As(err, &ce) {
		h.c.fail(&CloseError{Code: ce.Code, Reason: string(ce.Reason)})
	} else if err != nil {
		h.c.fail(fmt.Errorf("client: connection lost: %w", err))
	} else {
		h.c.fail(ErrClosed)
	}
	close(h.c.events)
}

func (h *handler) OnPing(c *gws.Conn, payload []byte) { _ = c.WritePong(payload) }

func (h *handler) OnPong(*gws.Conn, []byte) {}

func (h *handler) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	if err := codec.DecodeMessage(m.Bytes(), 0, h.c.dispatch); err != nil {
		_ = c.WriteClose(1007, []byte("malformed frame"))
	}
}
