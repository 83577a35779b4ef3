package client

import (
	"context"
	"net/http"
	"time"
)

// Subprotocol is the WebSocket subprotocol the client offers.
const Subprotocol = "parlor.v1"

// Defaults of Options and ReconnectPolicy, exported for documentation and
// tests.
const (
	// DefaultClient is Options.Client's default.
	DefaultClient = "parlor-go"
	// DefaultRequestTimeout is Options.RequestTimeout's default.
	DefaultRequestTimeout = 10 * time.Second
	// DefaultEventBuffer is Options.EventBuffer's default.
	DefaultEventBuffer = 1024
	// DefaultRoomBuffer is Options.RoomBuffer's default.
	DefaultRoomBuffer = 256
	// DefaultReadLimit is Options.ReadLimit's default.
	DefaultReadLimit = 16 << 20
	// DefaultMinDelay is ReconnectPolicy.MinDelay's default.
	DefaultMinDelay = 250 * time.Millisecond
	// DefaultMaxDelay is ReconnectPolicy.MaxDelay's default.
	DefaultMaxDelay = 10 * time.Second
	// DefaultDialTimeout is ReconnectPolicy.DialTimeout's default.
	DefaultDialTimeout = 5 * time.Second
)

// maxWrite is the largest message the client writes. The WebSocket library
// closes the connection on a larger one, so such requests fail at once
// instead: resending them after a reconnect would fail the same way.
const maxWrite = 16 << 20

// Options configures Dial. Every field documents its zero-value default.
type Options struct {
	// Header is sent with every upgrade request, the first and each
	// reconnect: put the host's credentials here (Cookie, Authorization)
	// and, to act as a browser, Origin. Default: none.
	Header http.Header
	// HeaderFunc, if set, is called before every connection attempt, the
	// first and each reconnect, for headers to send with that attempt's
	// upgrade request: a key it returns replaces Header's values for that
	// key. Hosts whose tokens expire return a fresh one each time. An
	// error fails the attempt: Dial returns it, and a reconnect counts it
	// as a failed attempt and tries again after the backoff delay. ctx
	// ends with the attempt. Default: none.
	HeaderFunc func(ctx context.Context) (http.Header, error)
	// Client names this client in the connect frame. Default: "parlor-go".
	Client string
	// RequestTimeout bounds requests whose context has no deadline,
	// including the time they wait for a lost connection to come back,
	// and the dial and handshake of every connection attempt.
	// Default: 10s.
	RequestTimeout time.Duration
	// EventBuffer is the capacity of the Events channel. When it is full
	// the client stops reading, and the server eventually closes a client
	// that falls too far behind. The channel is made when the first event
	// for it comes or Events is first called, so a client whose rooms all
	// deliver on their own Room does not hold it. Default: 1024.
	EventBuffer int
	// RoomEvents delivers each room's events on the Room that Join
	// returned (Room.Events) instead of on Client.Events, for every join;
	// Client.Events then stays empty (events of a room no Room stands
	// for, such as one whose join was abandoned, are dropped). A join can
	// ask for per-room delivery alone with WithRoomEvents or WithHandler.
	// Default: false: the events of every room go to Client.Events, in
	// the order they arrived (one loop for a simple bot).
	RoomEvents bool
	// RoomBuffer is how many events a room with per-room delivery holds
	// for the application. When it is full, further events of that room
	// are dropped and an EventGap notice takes their place, so that one
	// room the application does not read never stalls the others.
	// Default: 256.
	RoomBuffer int
	// ReadLimit is the largest message accepted from the server.
	// Default: 16 MiB.
	ReadLimit int
	// Compression offers permessage-deflate. Default: off.
	Compression bool
	// Reconnect says whether and how the client reconnects when its
	// connection is lost. Default (the zero value): reconnect forever,
	// with exponential backoff and full jitter from 250 ms up to 10 s.
	Reconnect ReconnectPolicy
	// OnStateChange, if set, is called on every change of the client's
	// connection state, in order. It is called synchronously from the
	// goroutine that makes the change (Dial's caller for the first
	// connection, the client's own goroutine afterwards), and the client
	// waits for it: keep it short. Close may be called from it, but then
	// does not wait for the client's goroutine to end. Default: none.
	OnStateChange func(StateChange)

	// resumeToken is presented in the first connect; tests set it.
	resumeToken string
}

// ReconnectPolicy configures automatic reconnection. The zero value
// reconnects forever with the default delays.
//
// The delay before reconnect attempt n (from 1) is drawn uniformly from
// [0, min(MaxDelay, MinDelay·2^(n−1))) ("full jitter"). Attempts count
// the failures since the last connection that stayed open for at least
// MaxDelay, so a connection that keeps failing right after it opens backs
// off like one that cannot open at all.
type ReconnectPolicy struct {
	// Disabled turns automatic reconnection off: the client ends when its
	// first connection ends, failing the requests still waiting with the
	// reason. Default: false (reconnect).
	Disabled bool
	// MinDelay is the delay ceiling of the first attempt. Default: 250ms.
	MinDelay time.Duration
	// MaxDelay caps the delay ceiling. Default: 10s (or MinDelay, if that
	// is larger).
	MaxDelay time.Duration
	// MaxAttempts is how many failed attempts in a row the client makes
	// before it gives up and ends with the last error. Default: 0, no
	// limit.
	MaxAttempts int
	// DialTimeout bounds the dial, upgrade and connect handshake of one
	// reconnect attempt. A server that accepts the connection but never
	// answers (a paused or overloaded node) fails the attempt after it,
	// and the next attempt, through a load balancer likely to another
	// node, follows. Default: 5s (DefaultDialTimeout), or
	// Options.RequestTimeout if that is shorter.
	DialTimeout time.Duration
}

// withDefaults returns p with its zero fields set to their defaults.
func (p ReconnectPolicy) withDefaults() ReconnectPolicy {
	if p.MinDelay <= 0 {
		p.MinDelay = DefaultMinDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultMaxDelay
	}
	if p.MaxDelay < p.MinDelay {
		p.MaxDelay = p.MinDelay
	}
	if p.DialTimeout <= 0 {
		p.DialTimeout = DefaultDialTimeout
	}
	return p
}

// withDefaults returns o with its zero fields set to their defaults.
func (o Options) withDefaults() Options {
	if o.Client == "" {
		o.Client = DefaultClient
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.EventBuffer <= 0 {
		o.EventBuffer = DefaultEventBuffer
	}
	if o.RoomBuffer <= 0 {
		o.RoomBuffer = DefaultRoomBuffer
	}
	if o.ReadLimit <= 0 {
		o.ReadLimit = DefaultReadLimit
	}
	o.Reconnect = o.Reconnect.withDefaults()
	return o
}
