package client

import "time"

// State is the state of a client's connection.
type State uint8

// The states of a client, in the order it usually goes through them. A
// client starts in StateConnecting, is in StateOpen once Dial returns, and
// alternates between StateReconnecting, StateConnecting and StateOpen
// while it reconnects. StateClosed is final.
const (
	// StateConnecting: a connection attempt (dial, upgrade, handshake) is
	// under way.
	StateConnecting State = iota
	// StateOpen: connected; after a reconnect, the rooms have been joined
	// again and the unanswered requests sent again. Requests go out at
	// once.
	StateOpen
	// StateReconnecting: the connection was lost (or an attempt failed)
	// and the client waits before the next attempt. Requests wait.
	StateReconnecting
	// StateClosed: the client has ended for good; Err says why.
	StateClosed
)

// String returns the state's name.
func (s State) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateOpen:
		return "open"
	case StateReconnecting:
		return "reconnecting"
	case StateClosed:
		return "closed"
	}
	return "unknown"
}

// StateChange describes a change of state, for Options.OnStateChange.
type StateChange struct {
	// State is the new state.
	State State
	// Attempt is the reconnect attempt's number, from 1, in
	// StateReconnecting and in the StateConnecting and StateOpen that
	// follow it; 0 for the first connection.
	Attempt int
	// Delay is the wait before the attempt (StateReconnecting).
	Delay time.Duration
	// Err is why the connection or the last attempt failed
	// (StateReconnecting), or why the client ended (StateClosed, the same
	// as Client.Err).
	Err error
	// Resumed reports that the server accepted the resume token of the
	// previous connection (StateOpen after a reconnect).
	Resumed bool
}
