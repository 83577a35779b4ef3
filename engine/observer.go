package engine

import (
	"time"

	"github.com/parlorhq/parlor/codec"
)

// Observer receives the engine's measurements, for metrics. Set it with
// Config.Observer; package metrics implements it with Prometheus
// collectors, and the engine itself depends on no metrics library.
//
// The engine calls an Observer from its read, write and room goroutines at
// once, so every method must be safe for concurrent use, fast and
// non-blocking: add to a counter, observe a histogram, return. Some are
// called for every message written. None may call back into the engine.
// Arguments carry no user or room id; kind is a registered module kind, or
// "" when a request named none that exists. Embed NopObserver to implement
// only some methods.
type Observer interface {
	// Connected: a WebSocket upgrade succeeded and a connection is open.
	Connected()
	// Disconnected: an open connection closed. code is the close code the
	// server sent, or else the one the client sent, or 1006 when the
	// connection ended without a close frame.
	Disconnected(code uint16)
	// UpgradeRefused: an upgrade request was answered with an HTTP status
	// instead of a WebSocket (see Engine.ServeHTTP), or the upgrade failed
	// (400).
	UpgradeRefused(status int)
	// MessageRead: a client WebSocket message of size bytes (after
	// decompression) arrived.
	MessageRead(size int)
	// FrameRead: a frame of type t was decoded from a client message.
	FrameRead(t codec.Type)
	// MessageWritten: one WebSocket message carrying frames frames and
	// size bytes was written to a client. queued is the connection's
	// outbox, in bytes, when the message was taken from it (this message
	// included).
	MessageWritten(frames, size, queued int)
	// FramesWritten: n frames of type t went out in the message just
	// reported by MessageWritten.
	FramesWritten(t codec.Type, n int)
	// SlowConsumer: a connection's outbox overflowed Config.OutboxBytes and
	// the connection is being closed with 4008.
	SlowConsumer()
	// RateLimited: a frame, ping or pong from a client found its rate limit
	// spent and was dropped (a request is answered with rate_limited).
	RateLimited()
	// RequestDone: a join, leave or send request (t) to a room of kind was
	// answered: its reply (or joined frame) was queued to the client d after
	// the message carrying the request was read. ok is false when the
	// answer is an error.
	RequestDone(kind string, t codec.Type, ok bool, d time.Duration)
	// MailboxDepth: a send was queued in a room of kind whose mailbox then
	// held depth operations, this one included.
	MailboxDepth(kind string, depth int)
	// RoomOpened: a room of kind was created.
	RoomOpened(kind string)
	// RoomClosed: a room of kind stopped.
	RoomClosed(kind string)
	// Resumed: a join carrying an epoch, that is a client resuming a room
	// it was in, was answered with outcome.
	Resumed(kind string, outcome ResumeOutcome)
}

// ResumeOutcome is how a room resume ended.
type ResumeOutcome uint8

const (
	// ResumeRecovered: every missed event was replayed after the joined
	// frame (recovered true).
	ResumeRecovered ResumeOutcome = iota + 1
	// ResumeNotRecovered: the client rejoined but got a fresh snapshot
	// (recovered false): the epoch changed or the missed events were no
	// longer kept.
	ResumeNotRecovered
	// ResumeRefused: the join failed.
	ResumeRefused
)

// String returns the outcome's label: "recovered", "not_recovered" or
// "refused".
func (o ResumeOutcome) String() string {
	switch o {
	case ResumeRecovered:
		return "recovered"
	case ResumeNotRecovered:
		return "not_recovered"
	case ResumeRefused:
		return "refused"
	}
	return "unknown"
}

// NopObserver implements Observer with methods that do nothing. Embed it
// in an observer that implements only some methods.
type NopObserver struct{}

// Connected implements Observer.
func (NopObserver) Connected() {}

// Disconnected implements Observer.
func (NopObserver) Disconnected(uint16) {}

// UpgradeRefused implements Observer.
func (NopObserver) UpgradeRefused(int) {}

// MessageRead implements Observer.
func (NopObserver) MessageRead(int) {}

// FrameRead implements Observer.
func (NopObserver) FrameRead(codec.Type) {}

// MessageWritten implements Observer.
func (NopObserver) MessageWritten(int, int, int) {}

// FramesWritten implements Observer.
func (NopObserver) FramesWritten(codec.Type, int) {}

// SlowConsumer implements Observer.
func (NopObserver) SlowConsumer() {}

// RateLimited implements Observer.
func (NopObserver) RateLimited() {}

// RequestDone implements Observer.
func (NopObserver) RequestDone(string, codec.Type, bool, time.Duration) {}

// MailboxDepth implements Observer.
func (NopObserver) MailboxDepth(string, int) {}

// RoomOpened implements Observer.
func (NopObserver) RoomOpened(string) {}

// RoomClosed implements Observer.
func (NopObserver) RoomClosed(string) {}

// Resumed implements Observer.
func (NopObserver) Resumed(string, ResumeOutcome) {}
