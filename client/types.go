package client

import (
	"errors"
	"fmt"

	"github.com/parlorhq/parlor/codec"
)

// Notices the client itself delivers on Events.
const (
	// EventRejoined is the Name of the notice delivered after a reconnect
	// for a room the server joined again without replaying what the
	// client missed (a new epoch, or a gap the server no longer holds).
	// Its Room is the room's id (normally unchanged), Seq the room's
	// current seq and Data the module's fresh snapshot: the client may
	// have missed events, so drop what you knew of the room and start
	// again from the snapshot (for chat, refetch the history). Ordered
	// events that follow have seqs after Seq.
	EventRejoined = "$rejoined"
	// EventGap is the Name of the notice a Room with per-room delivery
	// puts in place of events it dropped because its buffer was full (see
	// Options.RoomBuffer). Its Seq is the largest seq dropped (0 if only
	// ephemeral events were) and Dropped how many events it stands for.
	// The room's events after the gap follow. The application missed
	// state changes: refetch what it shows of the room (chat history,
	// a game's state), or leave and join the room again for a snapshot.
	EventGap = "$gap"
	// EventResumed is the Name of the notice delivered, to a room joined
	// with WithResumeNotices only, when the room was joined again after a
	// reconnect and the server replays what the client missed (the same
	// epoch): its Seq is the last seq the client had, and the replayed
	// events follow it. Rooms that keep state outside the event stream,
	// such as presence watches, restore it then.
	EventResumed = "$resumed"
	// ReasonRejoinFailed is the Reason of the left notice delivered when a
	// room could not be joined again after a reconnect; Err says why.
	ReasonRejoinFailed = "rejoin_failed"
)

// Event is a room event, a notice that the client left a room without
// asking (Left is then true and Reason says why), or a notice from the
// client itself (Name EventRejoined, EventGap or EventResumed).
type Event struct {
	// Room is the room id.
	Room string
	// Seq is the event's position in the room's stream; 0 for ephemeral
	// events. For EventRejoined, the room's seq at the rejoin.
	Seq uint64
	// Name is the event name, or EventRejoined.
	Name string
	// Data is the raw msgpack payload; for EventRejoined, the snapshot.
	Data []byte
	// Left is true for a left notice.
	Left bool
	// Reason is the left notice's reason, such as "kicked", "shutdown" or
	// ReasonRejoinFailed. After a left notice with reason "shutdown" a
	// reconnecting client keeps the room and joins it again when the
	// server is back.
	Reason string
	// Err is why a room could not be joined again (a left notice with
	// Reason ReasonRejoinFailed), usually a *codec.Error.
	Err error
	// Dropped is, for EventGap, the number of events dropped.
	Dropped int
}

// Decode decodes the event's payload (or EventRejoined's snapshot) into v.
func (e Event) Decode(v any) error { return codec.UnmarshalData(e.Data, v) }

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
// Without it, Send makes up a random id.
func WithClientMsgID(id string) SendOption {
	return func(o *sendOptions) { o.clientMsgID = id }
}

// CloseError reports how the server closed the connection.
type CloseError struct {
	// Code is the WebSocket close code, such as 1001 or 4009.
	Code uint16
	// Reason is the close frame's reason text.
	Reason string
}

// Error implements error.
func (e *CloseError) Error() string {
	return fmt.Sprintf("client: connection closed: %d %s", e.Code, e.Reason)
}

// Errors returned by the client.
var (
	// ErrClosed: the client is closed.
	ErrClosed = errors.New("client: closed")
	// ErrUpgrade: the server refused the WebSocket upgrade; the error
	// wraps an *UpgradeError with the HTTP status.
	ErrUpgrade = errors.New("client: upgrade refused")
	// ErrNotConnected: WriteRaw was called while the client was between
	// connections.
	ErrNotConnected = errors.New("client: not connected")
)

// UpgradeError is returned by Dial when the server answers the upgrade
// request with an HTTP status instead of switching protocols. A reconnect
// refused with 401 or 403 ends the client with one (see Client.Err);
// other statuses (503 while the server restarts, 429) are tried again.
type UpgradeError struct {
	// StatusCode is the HTTP status of the answer.
	StatusCode int
}

// Error implements error.
func (e *UpgradeError) Error() string {
	return fmt.Sprintf("client: upgrade refused with HTTP %d", e.StatusCode)
}

// Unwrap makes errors.Is(err, ErrUpgrade) true.
func (e *UpgradeError) Unwrap() error { return ErrUpgrade }

// errMalformed wraps a message from the server that is not valid
// parlor.v1; the client closes such a connection with 1007 and does not
// reconnect, since the next connection would likely get the same.
var errMalformed = errors.New("client: malformed message from server")

// errSubprotocol: the server did not select parlor.v1.
var errSubprotocol = fmt.Errorf("client: server did not accept subprotocol %s", Subprotocol)

// noReconnectCodes are the close codes after which the client ends.
var noReconnectCodes = map[uint16]bool{
	1007: true, // malformed frame
	1008: true, // policy violation
	4009: true, // another connection took the session over
	4010: true, // a newer connection of the user evicted this one
	4011: true, // the host signed the user out
	4029: true, // kept sending past the rate limit
}

// terminal reports whether the client must not reconnect after err.
func terminal(err error) bool {
	var ce *CloseError
	if errors.As(err, &ce) {
		return noReconnectCodes[ce.Code]
	}
	var ue *UpgradeError
	if errors.As(err, &ue) {
		return ue.StatusCode == 401 || ue.StatusCode == 403
	}
	// An error frame in the handshake precedes a close for a protocol
	// violation (1007 or 1008).
	var fe *codec.Error
	if errors.As(err, &fe) {
		return true
	}
	return errors.Is(err, errMalformed) || errors.Is(err, errSubprotocol) || errors.Is(err, ErrClosed)
}
