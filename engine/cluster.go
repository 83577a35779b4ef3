package engine

import (
	"context"
	"errors"
	"time"

	"github.com/parlorhq/parlor/codec"
)

// Cluster connects an engine to the other nodes (engines) it shares rooms
// with. Set Config.Cluster to one; package cluster builds it on NATS
// (cluster.NewNode). Without one the engine is a single node, exactly as
// before, and none of this runs.
//
// With a Cluster, each room runs on one node at a time, the owner, which
// holds the room's lease:
//   - a join resolves the room id, then the node asks Acquire: if the room
//     is free it becomes the owner and runs the room itself (modules
//     rebuild their state from their stores in OnCreate); if another node
//     owns it, the join, and later the session's sends and leave, are
//     forwarded to that owner;
//   - the owner sends what its room sends to members on other nodes to
//     each of those nodes in batches (PublishNode): broadcasts as they
//     are, and frames for one session (joined, replies, replays, left) in
//     a small envelope naming that session, so that they stay in order
//     with the broadcasts;
//   - the room lives as long as its lease: the lease is released after
//     the room has stopped, and a lost lease stops the room at once.
type Cluster interface {
	// Node is this node's name, unique among the live nodes.
	Node() string
	// Broker is the engine's broker on a cluster node, used instead of
	// Config.Broker (its readiness is the engine's readiness check); the
	// engine does not close it. Rooms do not use it: their frames for
	// other nodes travel in batches (PublishNode).
	Broker() Broker
	// Start is called once by New with the engine's side of the seam. From
	// then on the cluster passes the requests forwarded to this node, and
	// the batches other nodes publish to it (PublishNode), to h.
	Start(h ClusterHandler) error
	// PublishNode sends batch, the frames of rooms this node owns for
	// their members on node, to node's ClusterHandler.Receive, without
	// waiting. The batches this node publishes to one node arrive in the
	// order they were published. batch is the caller's again once
	// PublishNode returns; a nil error means it left, not that it arrived.
	PublishNode(node string, batch []byte) error
	// Acquire makes this node the owner of room, or returns the lease this
	// node already holds. When another node owns the room it returns an
	// error e with errors.Is(e, ErrRoomOwned) whose *OwnedError names the
	// owner; other failures carry codec.CodeUnavailable. existing says
	// that the room is expected to run somewhere already (a client
	// resumes it, or its owner just failed to answer): the cluster may
	// then look its owner up first, which is cheaper when it does run,
	// and try to take it only when it does not.
	Acquire(ctx context.Context, room string, existing bool) (RoomLease, error)
	// Join forwards a join of a session of this node to owner without
	// waiting, as Leave does: a join the owner took is answered by the
	// session's joined frame on the room's topic, which the engine
	// watches for. done is called later, at most once: with the owner's
	// refusal, ErrOwnerGone or ErrNotOwner when the owner must be looked
	// up again (unreachable, or nothing came within the cluster's join
	// wait, which may also follow a join whose joined frame came), or
	// nil when the owner answered that it took the join (an owner of an
	// earlier version answers every join). done must not block. An error
	// returned by Join itself means done is never called.
	Join(owner string, j *ClusterJoin, done func(error)) error
	// Leave forwards a leave without waiting for the owner, as Send
	// does: a leave the owner took is answered by the session's left
	// envelope on the room's topic (its RoomLeft). done is called later,
	// at most once: with the owner's refusal (ErrNotOwner when it has no
	// such membership any more), a transport failure (ErrOwnerGone),
	// ErrLeaveTimeout when nothing came within the cluster's forward
	// timeout, or nil when the owner answered that the leave is done (an
	// owner of an earlier version answers every leave). done must not
	// block. An error returned by Leave itself means done is never
	// called.
	Leave(owner string, l *ClusterLeave, done func(error)) error
	// Send forwards a send without waiting for the owner: it returns
	// once the request is on its way. A send the owner took is answered
	// only by its framed reply on the room's topic, and done is not
	// called for it; done is called later, at most once and never with
	// nil, with the owner's refusal (ErrNotOwner among them) or a
	// transport failure (the owner unreachable: ErrOwnerGone). A send
	// neither answered nor refused is the engine's to time out
	// (ErrNoRemoteReply). done must not block. Sends of one
	// session reach the owner in the order Send was called. An error
	// returned by Send itself (the request could not leave) means done
	// is never called. s, and the Data it holds, are the caller's again
	// once Send returns.
	Send(owner string, s *ClusterSend, done func(error)) error
	// Connected returns a channel that is closed while this node is
	// connected to the other nodes: already closed if it is now, else
	// closed when it is back. The check must not allocate.
	Connected() <-chan struct{}
	// Handover deletes this node's lapsed lease on room (RoomLease.Lapse),
	// if it has one that has not expired, so that another node may take
	// the room at once, and reports whether it had one.
	Handover(room string) bool
	// NodeGone returns a channel closed once node is believed gone: it
	// left, or it has not been heard from for the cluster's node timeout.
	NodeGone(node string) <-chan struct{}
	// Resurfaced returns a channel closed when this node is heard again
	// after a silence long enough for the other nodes to have believed it
	// gone (their NodeGone): its NATS connection was down, or the node
	// was paused. Those nodes then took this node's sessions out of their
	// rooms, and what told it so may be lost. After each such return a
	// new channel waits for the next one.
	Resurfaced() <-chan struct{}
	// PublishUser sends payload to the subscribers of user's topic on
	// every node.
	PublishUser(user string, payload []byte) error
	// SubscribeUser calls fn with each payload published on user's topic
	// until the returned function is called. fn must not block.
	SubscribeUser(user string, fn func(payload []byte)) (unsubscribe func(), err error)
	// PostRoom sends payload to the node that listens on room (ListenRoom)
	// without waiting; nobody may listen.
	PostRoom(room string, payload []byte) error
	// AskRoom sends payload to the node that listens on room and waits
	// for its answer: nil, or the listener's error with its code.
	// ErrNoListener says that no node listens.
	AskRoom(ctx context.Context, room string, payload []byte) error
	// ListenRoom calls fn with each payload posted or asked to room, from
	// any node, until the returned function is called. fn must not
	// block; it calls done exactly once, at once or later (a post's done
	// does nothing).
	ListenRoom(room string, fn func(payload []byte, done func(error))) (stop func(), err error)
}

// RoomLease is this node's ownership of one room.
type RoomLease interface {
	// Done is closed when the lease ends: released, or lost to another
	// node or to its TTL.
	Done() <-chan struct{}
	// Release gives the room up at once, so that another node may take it.
	Release()
	// Lapse gives the room up without a write: the lease is no longer
	// renewed and ends by its TTL, and until then another node that wants
	// the room asks this one (Cluster.Handover), and this node takes it
	// back at the cost of a renewal. For a room stopped because it was
	// idle, which may never run again.
	Lapse()
	// Idle says whether the room is idle: it has no members and stops
	// after its idle TTL unless somebody joins. An idle room's lease
	// need not be renewed as early as a busy one's, only before it
	// expires, so that a room that stops soon after its members left
	// costs no renewal. The room serves a join that ends its idle time
	// as before: the lease is valid throughout.
	Idle(idle bool)
}

// ClusterHandler is the engine's side of the seam: what a node does with
// the requests other nodes forward to it. Each method must not block; it
// calls done exactly once, at once or later, with nil or the error the
// member's client sees.
type ClusterHandler interface {
	// Join admits a session of another node into a room this node owns.
	Join(j *ClusterJoin, done func(error))
	// Send hands a remote member's event to the room.
	Send(s *ClusterSend, done func(error))
	// Leave removes a remote session from the room.
	Leave(l *ClusterLeave, done func(error))
	// Receive takes a batch another node published to this node
	// (Cluster.PublishNode): the frames of rooms it owns for this node's
	// sessions. Batches are passed one at a time, in the order they
	// arrived; batch is valid only during the call, and Receive must not
	// block.
	Receive(batch []byte)
}

// ClusterJoin is a join forwarded to the room's owner.
type ClusterJoin struct {
	// Room is the resolved room id and Kind its module.
	Room, Kind string
	// User is the user the member's node authenticated.
	User string
	// Session is the joining session's id, unique cluster-wide, and Node
	// the node it is on.
	Session, Node string
	// Ref is the client's request ref, which the joined frame answers.
	Ref uint64
	// Params are the join parameters, msgpack.
	Params []byte
	// Epoch and Since are the client's resume point, empty and 0 for a
	// fresh join.
	Epoch string
	Since uint64
}

// ClusterSend is a remote member's event forwarded to the room's owner.
type ClusterSend struct {
	// Room is the room id, User the sender the member's node
	// authenticated, Session the sending session's id and Node its node.
	Room, User, Session, Node string
	// Ref is the client's request ref, which the reply answers.
	Ref uint64
	// Event and Data are the event name and its msgpack payload.
	Event string
	Data  []byte
	// ClientMsgID makes a resent send idempotent, as on one node.
	ClientMsgID string
}

// ClusterLeave tells the owner that a remote session left a room: it asked
// to (Disconnected false) or its connection closed.
type ClusterLeave struct {
	// Room is the room id, User the member, Session the leaving session's
	// id and Node its node.
	Room, User, Session, Node string
	// Disconnected is true when the session closed, false when the
	// client asked to leave.
	Disconnected bool
}

// ClusterChecker is a Cluster that can ask an owner which memberships
// it still holds after a silence (Cluster.Resurfaced). Without it, every
// membership of this node's sessions in rooms owned elsewhere ends after
// a silence. A Cluster that wraps another must pass it on.
type ClusterChecker interface {
	// SilenceStart returns when the silence that Resurfaced last
	// signalled began, as far as this node can tell: a frame lost after
	// it may be of that silence. The engine reads it at the signal and
	// passes it to each Check that follows (ClusterCheck.Since).
	SilenceStart() time.Time
	// Check asks owner which of this node's memberships of its rooms it
	// still holds: it returns the indices in c.Members of those the
	// owner holds (ClusterCheckHandler), none if a batch the owner
	// published to this node (PublishNode) may have been lost since
	// c.Since, since a frame this node missed would leave the membership
	// stale. It bounds its own wait and tells the owner (c.Wait). An
	// error (the owner does not answer, or is of an earlier version)
	// says nothing is known to be held.
	Check(ctx context.Context, owner string, c *ClusterCheck) (held []int, err error)
}

// ClusterCheckHandler is the ClusterHandler the engine gives
// Cluster.Start: it answers membership checks (ClusterChecker.Check) too.
// A cluster that forwards checks type-asserts it, so that a handler
// without it (a wrapper) has the checks refused, as an owner of an
// earlier version does.
type ClusterCheckHandler interface {
	ClusterHandler
	// Check answers which of the memberships c lists this node still
	// holds: done gets their indices in c.Members.
	Check(c *ClusterCheck, done func(held []int, err error))
}

// ClusterCheck asks a room owner which memberships of a node's sessions
// in its rooms it still holds (Cluster.Check).
type ClusterCheck struct {
	// Node is the member's node.
	Node string
	// Members are its memberships of rooms the owner ran when they were
	// last heard of.
	Members []ClusterMember
	// Wait is how long the owner may take to answer, from when it got
	// the check: the member's node waits a little longer. Zero, or more
	// than the owner's JoinTimeout, means JoinTimeout.
	Wait time.Duration
	// Since is the member's side only: the start of the silence the
	// check follows (ClusterChecker.SilenceStart).
	Since time.Time
}

// ClusterMember is one membership of a ClusterCheck.
type ClusterMember struct {
	// Room is the room id and Session the member session's id.
	Room, Session string
}

// OwnedError is returned by Cluster.Acquire when another node owns the
// room.
type OwnedError struct {
	// Owner is the owning node's name.
	Owner string
}

// Error names the owner.
func (e *OwnedError) Error() string { return "engine: room owned by node " + e.Owner }

// Is makes an *OwnedError match ErrRoomOwned.
func (e *OwnedError) Is(target error) bool { return target == ErrRoomOwned }

// Errors of the cluster seam.
var (
	// ErrRoomOwned: another node owns the room (see OwnedError).
	ErrRoomOwned = errors.New("engine: room owned by another node")
	// ErrOwnerGone: the owner a request was forwarded to does not answer;
	// it died or left. The member's node looks the owner up again.
	ErrOwnerGone = &codec.Error{Code: codec.CodeUnavailable, Message: "engine: room owner unreachable, try again"}
	// ErrNotOwner: the node a request reached does not run the room (any
	// more). The member's node looks the owner up again.
	ErrNotOwner = &codec.Error{Code: codec.CodeUnavailable, Message: "engine: this node does not own the room"}
	// ErrRoomFreed: the node a join was forwarded to had stopped the room
	// and has just given up its lease (Cluster.Handover): the member's
	// node looks the owner up again at once, and takes the room.
	ErrRoomFreed = &codec.Error{Code: codec.CodeUnavailable, Message: "engine: room given up by its last owner, look again"}
	// ErrNoListener: no node listens on the room a signal was asked to
	// (Cluster.AskRoom), or, on a single node, Engine.Signal found no
	// listener.
	ErrNoListener = &codec.Error{Code: codec.CodeUnavailable, Message: "engine: nobody listens on that room"}
	// ErrBadForward: a forwarded join names no session or room, or ones
	// too long for this engine.
	ErrBadForward = &codec.Error{Code: codec.CodeBadRequest, Message: "engine: malformed forwarded join"}
)

// CloseRoomMoved (1012, "service restart") closes a session whose room
// moved to another node while it was in it: the owner stopped, died or lost
// the room's lease. The client reconnects and resumes with the epoch and
// seq it last saw, and its rooms are served by their next owner. A client
// that announced codec.FeatureRoomMoves keeps its connection instead: it
// gets a left frame with reason codec.LeftMoved for that room and joins
// it again in place.
const CloseRoomMoved uint16 = 1012

// clusterRetryPause is the pause between two owner lookups of a join whose
// owner was gone or no longer the owner, until Config.JoinTimeout.
const clusterRetryPause = 100 * time.Millisecond
