package client

import (
	"container/list"
	"context"
	crand "crypto/rand"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parlorhq/parlor/codec"
)

// Client is a connection to a Parlor server that reconnects when it is
// lost (see the package documentation). Make one with Dial.
type Client struct {
	url    string
	opts   Options
	header http.Header
	rnd    func() float64 // jitter source, in [0, 1)

	nextRef atomic.Uint64

	// idPrefix and nextMsgID make the client message ids of sends that
	// were given none.
	idPrefix  [8]byte
	nextMsgID atomic.Uint64

	// wmu orders the writes of requests: it is held from the choice of a
	// request's ref to the end of its write, so that requests go out in
	// ref order and a restore's resends go out before newer requests.
	wmu sync.Mutex

	mu       sync.Mutex
	state    State
	cur      *conn // the current connection; nil between connections
	ready    bool  // cur is restored: new requests are written at once
	queue    list.List
	pending  map[uint64]*call // requests written on cur, by ref
	rooms    map[string]*roomState
	token    string // the resume token of the latest connection
	session  string
	user     string
	hb       time.Duration
	finished bool
	err      error

	events     chan Event // made by eventsChan, on first use
	eventsOnce sync.Once
	// eventsMu is read-locked by every send on events (deliver), and
	// locked by finish to close it: a room move's goroutine may deliver
	// at any time, also while the client ends. eventsShut is set under
	// it once events is closed.
	eventsMu    sync.RWMutex
	eventsShut  bool
	done        chan struct{}
	closing     chan struct{} // closed by Close
	closeOnce   sync.Once
	runDone     chan struct{}  // closed when the client's goroutine ends
	pumps       sync.WaitGroup // the delivery goroutines of rooms
	life        context.Context
	cancelLife  context.CancelFunc
	inCallback  atomic.Bool // OnStateChange is running on the client's goroutine
	attempts    int         // failed reconnect attempts in a row; run goroutine only
	lastAttempt int         // the attempt of the current connection; run goroutine only
}

// randFloat is the jitter source of every client.
var randFloat = rand.Float64

// result is what a waiting request receives.
type result struct {
	frame codec.Frame
	err   error
}

// Dial connects to url (ws:// or wss://), performs the connect handshake
// and returns a ready client. Dial does not retry: if the first connection
// fails, it returns the error (an *UpgradeError when the server refused
// the upgrade). Once connected, the client reconnects on its own according
// to opts.Reconnect.
func Dial(ctx context.Context, url string, opts Options) (*Client, error) {
	opts = opts.withDefaults()
	header := opts.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	header.Set("Sec-WebSocket-Protocol", Subprotocol)
	c := &Client{
		url:     url,
		opts:    opts,
		header:  header,
		rnd:     randFloat,
		pending: make(map[uint64]*call),
		rooms:   make(map[string]*roomState),
		done:    make(chan struct{}),
		closing: make(chan struct{}),
		runDone: make(chan struct{}),
	}
	_, _ = crand.Read(c.idPrefix[:]) // never fails
	c.life, c.cancelLife = context.WithCancel(context.Background())
	c.notify(StateChange{State: StateConnecting})
	dctx, cancel := c.withTimeout(ctx)
	defer cancel()
	cn, f, err := c.dial(dctx, opts.resumeToken)
	if err != nil {
		c.cancelLife()
		c.notify(StateChange{State: StateClosed, Err: err})
		return nil, err
	}
	c.attach(cn, f)
	c.mu.Lock()
	c.ready = true
	c.mu.Unlock()
	c.notify(StateChange{State: StateOpen, Resumed: f.Resumed})
	go c.run(cn)
	return c, nil
}

// SessionID returns the server-assigned session id of the current (or
// last) connection.
func (c *Client) SessionID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.session
}

// UserID returns the user id the server authenticated.
func (c *Client) UserID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.user
}

// Heartbeat returns the server's ping interval.
func (c *Client) Heartbeat() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hb
}

// State returns the client's connection state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Events returns the channel of room events and of the client's notices
// (EventRejoined, left notices). It stays open across reconnects and is
// closed when the client ends.
func (c *Client) Events() <-chan Event { return c.eventsChan() }

// eventsChan returns the Events channel, made with its
// Options.EventBuffer places on first use: a client whose rooms all
// deliver on their own Room (Options.RoomEvents) and that never asks for
// Events does not hold that buffer (about 110 KiB at the default).
func (c *Client) eventsChan() chan Event {
	c.eventsOnce.Do(func() { c.events = make(chan Event, c.opts.EventBuffer) })
	return c.events
}

// Done is closed when the client has ended for good: after Close, after a
// connection loss it does not reconnect from, or when reconnecting gave
// up.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err returns why the client ended: a *CloseError when the server closed
// the connection, ErrClosed after Close, an *UpgradeError when a
// reconnect was refused with 401 or 403, or the I/O error. It is nil
// while the client is running, reconnecting included.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// WriteRaw sends msg as one binary WebSocket message, as is, on the
// current connection. It exists for tests that need to send malformed or
// hand-built frames; it returns ErrNotConnected between connections.
func (c *Client) WriteRaw(msg []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	cn, err := c.cur, c.err
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if cn == nil {
		return ErrNotConnected
	}
	return cn.write(msg)
}

// Close closes the connection with 1000, fails the requests still waiting
// with ErrClosed, closes Events, every Room's Events and Done, and waits
// for the client's goroutines to end, the rooms' handlers included
// (except when called from Options.OnStateChange).
// Calling it again does nothing.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		close(c.closing)
		c.cancelLife()
	})
	if !c.inCallback.Load() {
		<-c.runDone
		c.pumps.Wait()
	}
	return nil
}

// attach makes cn the current connection, not yet ready for requests.
func (c *Client) attach(cn *conn, f *codec.Frame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cur = cn
	c.ready = false
	c.session, c.user = f.Session, f.User
	c.hb = time.Duration(f.HeartbeatMS) * time.Millisecond
	c.token = f.Token
}

// notify records a state change and tells OnStateChange.
func (c *Client) notify(sc StateChange) {
	c.mu.Lock()
	c.state = sc.State
	c.mu.Unlock()
	if fn := c.opts.OnStateChange; fn != nil {
		c.inCallback.Store(true)
		defer c.inCallback.Store(false)
		fn(sc)
	}
}

// deliver puts ev on Events, unless the client is closing or has ended:
// finish closes done before it closes Events, which wakes a deliver that
// waits for room there.
func (c *Client) deliver(ev Event) {
	c.eventsMu.RLock()
	defer c.eventsMu.RUnlock()
	if c.eventsShut {
		return
	}
	select {
	case c.eventsChan() <- ev:
	case <-c.closing:
	case <-c.done:
	}
}

// closeEvents closes Events once no deliver is under way; done is closed
// already, so none waits.
func (c *Client) closeEvents() {
	c.eventsMu.Lock()
	c.eventsShut = true
	close(c.eventsChan())
	c.eventsMu.Unlock()
}

func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.opts.RequestTimeout)
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
		return clone(d), nil
	}
	return codec.MarshalData(v)
}
