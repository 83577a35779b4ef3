package codec

// Type identifies a frame. It is the first element of every frame array.
type Type uint8

// Frame types of protocol parlor.v1. The direction is noted for each:
// C→S frames are sent by clients, S→C frames by the server.
const (
	// TypeConnect (C→S) opens a session:
	// [1, ref, client, resume_token, features].
	TypeConnect Type = 1
	// TypeConnected (S→C) answers connect:
	// [2, ref, session, user, heartbeat_ms, resume_token, resumed].
	TypeConnected Type = 2
	// TypeJoin (C→S) asks to join a room of a module:
	// [3, ref, kind, params, epoch, since].
	TypeJoin Type = 3
	// TypeJoined (S→C) answers a successful join:
	// [4, ref, room, seq, snapshot, epoch, recovered].
	TypeJoined Type = 4
	// TypeLeave (C→S) leaves a room: [5, ref, room]. It is answered by a reply.
	TypeLeave Type = 5
	// TypeSend (C→S) sends an event to a room: [6, ref, room, event, data, cmid].
	TypeSend Type = 6
	// TypeReply (S→C) answers a request by ref: [7, ref, code, message, data].
	// An empty code means success.
	TypeReply Type = 7
	// TypeEvent (S→C) is a room event: [8, room, seq, event, data].
	// Seq 0 marks an ephemeral event outside the room's ordered stream.
	TypeEvent Type = 8
	// TypeError (S→C) is a connection-level error not tied to a request:
	// [9, code, message].
	TypeError Type = 9
	// TypeLeft (S→C) tells a session it is no longer in a room, without it
	// having asked: [10, room, reason].
	TypeLeft Type = 10
)

// String returns the frame type's protocol name.
func (t Type) String() string {
	switch t {
	case TypeConnect:
		return "connect"
	case TypeConnected:
		return "connected"
	case TypeJoin:
		return "join"
	case TypeJoined:
		return "joined"
	case TypeLeave:
		return "leave"
	case TypeSend:
		return "send"
	case TypeReply:
		return "reply"
	case TypeEvent:
		return "event"
	case TypeError:
		return "error"
	case TypeLeft:
		return "left"
	}
	return "unknown"
}

// minFields is the number of array elements each frame type requires,
// including the type itself. Extra trailing elements are ignored so that
// later protocol revisions can append fields.
var minFields = [...]int{
	TypeConnect:   3,
	TypeConnected: 5,
	TypeJoin:      4,
	TypeJoined:    5,
	TypeLeave:     3,
	TypeSend:      5,
	TypeReply:     5,
	TypeEvent:     5,
	TypeError:     3,
	TypeLeft:      3,
}

// knownFields is the number of array elements this version reads for each
// frame type; the elements between minFields and knownFields are optional
// and default to their zero values when absent.
var knownFields = [...]int{
	TypeConnect:   5,
	TypeConnected: 7,
	TypeJoin:      6,
	TypeJoined:    7,
	TypeLeave:     3,
	TypeSend:      6,
	TypeReply:     5,
	TypeEvent:     5,
	TypeError:     3,
	TypeLeft:      3,
}

// Frame is one decoded frame. Which fields are set depends on Type; the
// field comments list the frame types that use them.
//
// Params, Snapshot and Data alias the bytes that were decoded: copy them
// before the input buffer is reused.
type Frame struct {
	Type Type
	// Ref correlates a request with its reply (connect, connected, join,
	// joined, leave, send, reply). Clients choose refs; 0 is allowed but
	// cannot be told apart from other ref-0 requests.
	Ref uint64
	// Client names the client implementation and version (connect).
	Client string
	// Features are the optional behaviours the client supports, a set of
	// Feature bits (connect). Bits the server does not know are ignored.
	Features uint64
	// Session is the server-assigned session id (connected).
	Session string
	// User is the authenticated user id (connected).
	User string
	// HeartbeatMS is the server's ping interval in milliseconds (connected).
	HeartbeatMS uint32
	// Kind is the module kind to join, such as "chat.dm" (join).
	Kind string
	// Params is the module's raw msgpack join parameters (join).
	Params []byte
	// Room is a room id (joined, leave, send, event, left).
	Room string
	// Seq is a room sequence number (joined: the seq the snapshot or the
	// replay starts from; event: the event's position, 0 for ephemeral
	// events; join: the last seq the client saw when it resumes).
	Seq uint64
	// Token is a resume token (connected: the token of this connection;
	// connect: the token of the connection being resumed, empty for a new
	// session).
	Token string
	// Resumed reports that the server accepted the connect's resume token
	// (connected).
	Resumed bool
	// Epoch identifies one incarnation of a room (joined: the room's
	// epoch; join: the epoch the client last saw, empty for a fresh join).
	Epoch string
	// Recovered reports that the join resumed from the join's seq: the
	// missed events follow the joined frame and Snapshot is nil (joined).
	Recovered bool
	// Snapshot is the module's raw msgpack room snapshot (joined).
	Snapshot []byte
	// Event is the event name (send, event).
	Event string
	// Data is the raw msgpack payload (send, reply, event).
	Data []byte
	// ClientMsgID is an optional client-chosen id that makes a send
	// idempotent; empty means none (send).
	ClientMsgID string
	// Code is an error code; empty in a successful reply (reply, error).
	Code Code
	// Message is a human-readable error text (reply, error).
	Message string
	// Reason says why a session left a room (left).
	Reason string
}
