// Package client is the Go client for Parlor's parlor.v1 protocol. Tests,
// bots and the load generators use it; so can Go services that talk to a
// Parlor server.
//
// A Client is safe for concurrent use. Requests (Join, Leave, Send) are
// correlated with their replies by ref and wait for them.
//
// # Rooms and their events
//
// Join returns a *Room: the join's snapshot, seq and epoch, and a handle
// to Send to the room and Leave it. Where the room's events go is chosen
// per join:
//
//   - By default, the events of every room, and the client's notices,
//     arrive on the client's one Events channel in the order the server
//     sent them. It suits a bot with one loop; when the application does
//     not read it, the client stops reading its connection (every room
//     waits) and the server eventually closes a client that falls too
//     far behind.
//   - With Options.RoomEvents, or WithRoomEvents for one join, each room
//     has its own Room.Events channel, in the room's order, closed when
//     the room is left; WithHandler calls a function instead. A room
//     buffers up to Options.RoomBuffer events for the application. When
//     that is full, the room drops further events and delivers one
//     EventGap notice in their place, so that a room the application
//     does not read never holds up the others: after a gap, refetch the
//     room's state.
//
// Options.HeaderFunc supplies headers (a fresh token, say) for every
// connection attempt, for hosts whose credentials expire.
//
// The packages chatclient and gameclient wrap Room with typed requests
// and events for the built-in chat and games modules.
//
// # Reconnecting and resuming
//
// By default a Client survives the loss of its connection. When the
// connection ends for a reason other than Close, the client:
//
//  1. waits a backoff delay (exponential with full jitter, 250 ms up to
//     10 s by default; see ReconnectPolicy) and dials again, presenting the
//     resume token of its last connection in the connect frame;
//  2. joins every room it was in again, with the room's kind and params
//     and the epoch and last ordered seq it saw there. When the server can
//     replay what was missed (joined says recovered), the missed events
//     simply follow and nothing else is delivered (an EventResumed notice
//     first, for a room joined WithResumeNotices); ordered events
//     the client already has are dropped, so none arrives twice. Otherwise
//     the room's state may have changed in ways the client did not see,
//     and an Event named EventRejoined carrying the fresh snapshot and seq
//     is delivered: drop what you knew of the room and use it (for chat,
//     refetch the history);
//  3. sends again, in their original order and with their original client
//     message ids, the requests that had not been answered: the server
//     applies a resent Send only once and answers it with the first reply,
//     which the original Send call returns.
//
// While the client is away, new requests wait for the connection to be
// restored, bounded by their context (or Options.RequestTimeout). A
// request that was written on three connections that were all lost before
// it was answered fails with the last loss (as do the requests written on
// a connection the server closed with 1009, message too large), so that a
// request that gets connections closed is not resent forever. A Join
// that was not answered is sent again on the new connection; a Leave that
// was not answered returns nil, since the new connection does not join the
// room again. A room that cannot be joined again is reported with a left
// notice whose Reason is ReasonRejoinFailed.
//
// A connection on which nothing (not even the server's ping) arrives for
// twice the server's heartbeat interval plus 5 s counts as lost, so that
// a connection that died without a word is noticed too.
//
// The client does not reconnect after Close, after the server closed the
// connection with 1007, 1008, 4009 (another connection took the session
// over), 4010 (a newer connection of the same user evicted this one),
// 4011 (the host signed the user out) or 4029, or after an upgrade
// refused with 401 or 403: it ends, and Err says why. Dial itself does not
// retry: it returns the first connection's error. Set ReconnectPolicy.Disabled to end the client with
// its first connection instead.
//
// Options.OnStateChange and State report the connection's state:
// StateConnecting, StateOpen, StateReconnecting and finally StateClosed.
package client
