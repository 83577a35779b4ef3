package userchannel

import "time"

// Status is a user's presence status.
type Status string

// The statuses a watched user can have.
const (
	// Online: the user has a session that sent a message recently.
	Online Status = "online"
	// Away: the user has sessions open, none active for a while.
	Away Status = "away"
	// Offline: the user has no session, hid their status, or the server's
	// policy does not let this user see theirs.
	Offline Status = "offline"
)

// Presence is a watched user's status. On the wire it is the array
// [user, status, last_seen_ms].
type Presence struct {
	_msgpack struct{} `msgpack:",as_array"`
	// User is the watched user.
	User string
	// Status is Online, Away or Offline.
	Status Status
	// LastSeenMS is, for an Offline user, when their last session closed,
	// in Unix milliseconds; 0 otherwise, or when unknown or hidden.
	LastSeenMS int64
}

// LastSeen returns LastSeenMS as a time, or the zero time when it is 0.
func (p Presence) LastSeen() time.Time {
	if p.LastSeenMS == 0 {
		return time.Time{}
	}
	return time.UnixMilli(p.LastSeenMS)
}

// Events and requests of the user channel (docs/protocol.md, "The user
// channel and presence").
const (
	// Kind is the kind of the user channel.
	Kind = "user"
	// EventPresence is the ephemeral event of a watched user's status
	// change; its data is a Presence.
	EventPresence = "presence"
	// OpWatch watches users: {users}; the reply is {statuses}.
	OpWatch = "presence.watch"
	// OpUnwatch stops watching users: {users}.
	OpUnwatch = "presence.unwatch"
	// OpHide hides the user's status, or shows it again: {hidden}.
	OpHide = "presence.hide"
)

// users is the data of OpWatch and OpUnwatch.
type users struct {
	Users []string `msgpack:"users"`
}

// statuses is the reply to OpWatch.
type statuses struct {
	Statuses []Presence `msgpack:"statuses"`
}

// hide is the data of OpHide.
type hide struct {
	Hidden bool `msgpack:"hidden"`
}
