// Package room is Parlor's room engine: one goroutine per room that owns
// the room's state, a bounded mailbox feeding it, lifecycle hooks for the
// module that gives the room its meaning, per-room ordering of broadcasts,
// timers that run inside the room goroutine, and keyed room ids.
//
// A module (chat, a game) implements [Module] to turn join parameters into
// a room id and to create a [Handler] for each new room. The engine creates
// rooms on first join and routes frames to them; the handler never sees a
// frame, only typed calls: OnCreate, OnJoin, OnMessage, OnLeave, OnTick and
// OnDispose. All of them run on the room goroutine, one at a time, so
// handler state needs no locks. A member's send that finds the room idle
// runs on the sender's own goroutine instead (Room.SendInline), under the
// same one-at-a-time rule: it saves the hop to the room goroutine.
//
// Time comes from one [Clock] per room (Config.Clock): Room.Now, Room.After,
// ticks, the idle TTL and the replay age bound all use it. The default is
// the wall clock; tests drive the same timers with roomtest.FakeClock.
package room
