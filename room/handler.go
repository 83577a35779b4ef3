package room

import (
	"context"
	"time"
)

// LeaveReason says why a member left a room.
type LeaveReason string

// Leave reasons passed to OnLeave and sent to clients in left frames.
const (
	// LeaveLeft: the client asked to leave.
	LeaveLeft LeaveReason = "left"
	// LeaveDisconnected: the member's last connection closed.
	LeaveDisconnected LeaveReason = "disconnected"
	// LeaveKicked: the room removed the member.
	LeaveKicked LeaveReason = "kicked"
	// LeaveShutdown: the server is shutting down.
	LeaveShutdown LeaveReason = "shutdown"
	// LeaveClosed: the room closed itself (Room.Close), for example when a
	// finished game is torn down.
	LeaveClosed LeaveReason = "closed"
)

// DisposeReason says why a room is being disposed.
type DisposeReason string

// Dispose reasons passed to OnDispose.
const (
	// DisposeIdle: the room had no members for its idle TTL.
	DisposeIdle DisposeReason = "idle"
	// DisposeShutdown: the engine is shutting down.
	DisposeShutdown DisposeReason = "shutdown"
	// DisposeClosed: the handler called Room.Close.
	DisposeClosed DisposeReason = "closed"
)

// Join is a session's request to join a room, as OnJoin sees it.
type Join struct {
	// Context is the joining caller's context, which carries its
	// deadline. Pass it to I/O in OnJoin (such as a store read): once
	// OnJoin has started, the caller waits for its result even past the
	// deadline, so that the reply says what the room did.
	Context context.Context
	// User is the authenticated user id.
	User string
	// Session is the joining connection.
	Session Session
	// Params is the module's raw msgpack join parameters; decode it with
	// codec.UnmarshalData.
	Params []byte
	// Rejoin is true when the user is already a member through another
	// session (a second tab) or this same session.
	Rejoin bool
	// Epoch and Since are set when the client resumes: the room epoch it
	// last saw and the last ordered seq it got. The room decides on its
	// own whether it can replay from there; handlers may use them to skip
	// work, since a recovered join sends no snapshot.
	Epoch string
	Since uint64
}

// Message is an event sent to the room by a member.
type Message struct {
	// User is the authenticated sender. It never comes from the payload.
	User string
	// Session is the sending connection.
	Session Session
	// Event is the event name chosen by the client.
	Event string
	// Data is the raw msgpack payload; decode it with codec.UnmarshalData.
	Data []byte
	// ClientMsgID is the client's id for idempotent retries, or empty.
	ClientMsgID string
}

// Handler gives a room its behaviour. Every method runs on the room
// goroutine, one call at a time. Embed [BaseHandler] to get no-op defaults
// and implement only what the module needs. The *Join and *Message
// arguments are reused: they are valid only during the call, so copy what
// must outlive it.
type Handler interface {
	// OnCreate runs once, first, when the room starts. An error aborts the
	// room, and the join that created it fails with that error.
	OnCreate(r *Room) error
	// OnJoin authorizes a join and returns the snapshot the joiner gets.
	// Return a *codec.Error to reject with a stable code. The snapshot may
	// be nil, a []byte of encoded msgpack, or any value msgpack encodes.
	// A join whose context ended while it waited in the mailbox never
	// reaches OnJoin: nothing runs and nothing is sent for it.
	OnJoin(r *Room, j *Join) (snapshot any, err error)
	// OnMessage handles an event from a member and returns the reply data
	// (nil, []byte of msgpack, or any value) or a coded error. The reply is
	// sent after OnMessage returns, so anything persisted inside it is
	// durable before the sender's ack. When the room is idle, OnMessage
	// runs on the sending connection's goroutine (Room.SendInline), still
	// one call at a time with every other hook; a slow OnMessage then
	// also delays that connection's next frames.
	OnMessage(r *Room, m *Message) (reply any, err error)
	// OnLeave runs when a user's last session leaves the room.
	OnLeave(r *Room, user string, reason LeaveReason)
	// OnDispose runs last, when the room stops.
	OnDispose(r *Room, reason DisposeReason)
}

// Replayer is implemented by handlers whose ordered events outlive the
// room's replay buffer, such as a chat conversation whose log is in a
// store. When a resuming client missed more than the buffer holds, the
// room asks the handler.
type Replayer interface {
	// Replay calls emit, in seq order, with the event name and encoded
	// payload of every ordered event after seq since, up to the room's
	// current seq, exactly as they were broadcast. It reports false when
	// it cannot (the events are gone, or too many to replay); the join is
	// then not recovered and gets a snapshot instead. Room goroutine.
	Replay(r *Room, since uint64, emit func(seq uint64, event string, data []byte)) bool
}

// Ticker is implemented by handlers that want a periodic OnTick. The room
// calls it at the rate set with Room.SetTick.
type Ticker interface {
	OnTick(r *Room, now time.Time)
}

// BaseHandler implements every Handler method as a no-op that accepts
// joins with a nil snapshot and rejects every event as unknown.
type BaseHandler struct{}

// OnCreate does nothing.
func (BaseHandler) OnCreate(*Room) error { return nil }

// OnJoin accepts the join with no snapshot.
func (BaseHandler) OnJoin(*Room, *Join) (any, error) { return nil, nil }

// OnMessage rejects the event with ErrUnknownEvent.
func (BaseHandler) OnMessage(*Room, *Message) (any, error) { return nil, ErrUnknownEvent }

// OnLeave does nothing.
func (BaseHandler) OnLeave(*Room, string, LeaveReason) {}

// OnDispose does nothing.
func (BaseHandler) OnDispose(*Room, DisposeReason) {}

// Module is a kind of room, such as "chat.dm" or "games.chess". The engine
// keeps a registry of modules by kind.
type Module interface {
	// Kind is the name clients use in join frames. It must be unique
	// within an engine and at most 64 bytes.
	Kind() string
	// Resolve turns a join request into the id of the room to join. It
	// runs on the joining connection's goroutine, not in a room, and may
	// reject the request with a coded error (for example forbidden when
	// the host's policy refuses a direct message).
	Resolve(ctx context.Context, req *ResolveRequest) (roomID string, err error)
	// NewHandler returns the handler for a new room with this id.
	NewHandler(roomID string) Handler
}

// ResolveRequest is what a module's Resolve gets.
type ResolveRequest struct {
	// User is the authenticated user asking to join.
	User string
	// Params is the raw msgpack join parameters.
	Params []byte
	kind   string
	secret []byte
}

// NewResolveRequest builds a request for kind, keyed with secret. The
// engine calls it; tests of modules may too.
func NewResolveRequest(kind string, secret []byte, user string, params []byte) *ResolveRequest {
	return &ResolveRequest{User: user, Params: params, kind: kind, secret: secret}
}

// KeyedID returns the keyed room id of this request's kind and members,
// computed with the engine's secret (see the package-level KeyedID).
func (r *ResolveRequest) KeyedID(members ...string) string {
	return KeyedID(r.secret, r.kind, members...)
}
