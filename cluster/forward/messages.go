package forward

import (
	"time"

	"github.com/parlorhq/parlor/codec"
)

// Op names a forwarded request. It is the last token of the request's
// subject.
type Op string

// The forwarded operations.
const (
	// OpJoin carries a [Join].
	OpJoin Op = "join"
	// OpSend carries a [Send].
	OpSend Op = "send"
	// OpLeave carries a [Leave].
	OpLeave Op = "leave"
	// OpCheck carries a [Check].
	OpCheck Op = "check"
)

// Join asks the owner to admit a session of another node into a room the
// member's node has already resolved. It mirrors the client's join frame;
// the user is the one the member's node authenticated.
type Join struct {
	_msgpack struct{} `msgpack:",as_array"`
	// Room is the resolved room id.
	Room string
	// Kind is the module kind of the room.
	Kind string
	// User is the authenticated user.
	User string
	// Session is the session's id, unique cluster-wide.
	Session string
	// Node is the member's node, where the session lives.
	Node string
	// Params are the join parameters, msgpack, as the client sent them.
	Params []byte
	// Epoch and Since are the client's resume point: the room epoch and
	// the last seq it saw. Empty and 0 for a fresh join.
	Epoch string
	Since uint64
	// Ref is the client's request ref, which the owner's joined frame
	// answers.
	Ref uint64
}

// Send carries a member's event to the room's owner. It mirrors the
// client's send frame.
type Send struct {
	_msgpack struct{} `msgpack:",as_array"`
	// Room is the room id.
	Room string
	// User is the authenticated user.
	User string
	// Session is the sending session's id.
	Session string
	// Node is the member's node.
	Node string
	// Event is the module's event name.
	Event string
	// Data is the event payload, msgpack.
	Data []byte
	// ClientMsgID makes retries idempotent, as on one node.
	ClientMsgID string
	// Ref is the client's request ref, which the owner's reply frame
	// answers.
	Ref uint64
}

// Leave tells the owner that a session of another node left a room.
type Leave struct {
	_msgpack struct{} `msgpack:",as_array"`
	// Room is the room id.
	Room string
	// User is the authenticated user.
	User string
	// Session is the leaving session's id.
	Session string
	// Node is the member's node.
	Node string
	// Disconnected is true when the session closed, false when it asked
	// to leave.
	Disconnected bool
}

// Check asks the owner which memberships of a node's sessions in its
// rooms it still holds, after that node was cut off long enough for the
// owner to have believed it gone. The answer's Data is a [CheckAnswer].
type Check struct {
	_msgpack struct{} `msgpack:",as_array"`
	// Node is the member's node.
	Node string
	// Members are the memberships asked about.
	Members []Member
	// Wait is how long the member's node waits for the answer; zero
	// leaves it to the owner.
	Wait time.Duration
}

// Member is one membership of a [Check].
type Member struct {
	_msgpack struct{} `msgpack:",as_array"`
	// Room is the room id.
	Room string
	// Session is the member session's id.
	Session string
}

// CheckAnswer is the owner's answer to a [Check], msgpack in the reply's
// Data.
type CheckAnswer struct {
	_msgpack struct{} `msgpack:",as_array"`
	// Held are the indices in Members of the memberships the owner holds.
	Held []int
	// Incarnation identifies the owner's run, and Batches is the number
	// of the last batch it had published to the member's node when it
	// answered, 0 for none: the member holds Held only once it has
	// received that batch with none lost.
	Incarnation, Batches uint64
}

// Reply is the owner's answer to any request. An empty Code means
// success; otherwise Code and Message are what the client sees. The other
// fields are set by the operation they belong to.
type Reply struct {
	_msgpack struct{} `msgpack:",as_array"`
	// Code is the stable error code, empty on success.
	Code codec.Code
	// Message explains Code.
	Message string
	// Seq is the room's current seq (join) or the seq the event got
	// (send), 0 when there is none.
	Seq uint64
	// Epoch is the room's epoch (join).
	Epoch string
	// Recovered says the join resumed from Since: the missed events
	// follow instead of a snapshot, as on one node.
	Recovered bool
	// Snapshot is the room's state for the user (join), msgpack.
	Snapshot []byte
	// Data is the handler's reply data (send), or the [CheckAnswer]
	// (check), msgpack.
	Data []byte
}

// Err returns the reply's error as the *codec.Error the client sees, or
// nil for a success.
func (r *Reply) Err() error {
	if r.Code == "" {
		return nil
	}
	return &codec.Error{Code: r.Code, Message: r.Message}
}

// ErrorReply returns the Reply for err: its code and message when err is
// (or wraps) a *codec.Error, codec.CodeInternal otherwise.
func ErrorReply(err error) *Reply {
	e := codec.AsError(err)
	return &Reply{Code: e.Code, Message: e.Message}
}
