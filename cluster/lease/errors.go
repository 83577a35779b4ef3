package lease

import (
	"errors"
	"fmt"

	"github.com/parlorhq/parlor/codec"
)

var (
	// ErrNoNode is returned by NewManager when Config.Node is empty.
	ErrNoNode = errors.New("lease: node name required")
	// ErrTaken is matched by the *TakenError Acquire returns when another
	// node holds the room.
	ErrTaken = errors.New("lease: room owned by another node")
	// ErrNoOwner is returned by Owner for a room nobody holds.
	ErrNoOwner = errors.New("lease: room has no owner")
	// ErrLost is a lease's Err after someone else's write replaced it, or
	// after it could not be renewed before it expired. The node must stop
	// writing for the room.
	ErrLost = errors.New("lease: lost")
	// ErrReleased is a lease's Err after Release.
	ErrReleased = errors.New("lease: released")
	// ErrClosed is returned by a closed Manager, and is the Err of the
	// leases it held.
	ErrClosed = errors.New("lease: manager closed")
	// ErrUnavailable wraps KV failures other than a lost race: NATS or
	// JetStream cannot answer now. Clients see codec.CodeUnavailable.
	ErrUnavailable = &codec.Error{Code: codec.CodeUnavailable, Message: "lease: ownership store unavailable, try again"}
)

// TakenError tells who holds a room that Acquire could not take.
type TakenError struct {
	// Owner is the node holding the room. It is empty in the rare case
	// that the winner's write could not be read yet; Owner looks again.
	Owner string
	// Revision is the lease's revision when Acquire looked.
	Revision uint64
}

// Error implements the error interface.
func (e *TakenError) Error() string {
	return fmt.Sprintf("lease: room owned by %s (revision %d)", e.Owner, e.Revision)
}

// Is makes errors.Is(err, ErrTaken) true.
func (e *TakenError) Is(target error) bool { return target == ErrTaken }

// errSlowBucket: a lease's write took longer than its TTL twice in a row,
// so the lease would be over by this node's clock as soon as it was
// taken.
var errSlowBucket = errors.New("lease: the bucket answered after the TTL")
