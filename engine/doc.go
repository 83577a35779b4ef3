// Package engine serves Parlor over WebSocket. An [Engine] is an
// http.Handler that a host mounts on its own mux, beside its own routes and
// behind its own authentication: it checks the Origin and the host's
// Authenticate hook before upgrading, then runs sessions that speak the
// parlor.v1 protocol (see package codec) and routes their frames to rooms
// (see package room) of the modules registered by kind.
//
// Each connection has a byte-bounded outbox written by one writer that
// batches queued frames into one WebSocket message, heartbeats with read
// deadlines, a token-bucket rate limit that pings count against too, and
// limits on rooms per connection, rooms created per user and connections
// per user (with a [ConnLimitPolicy] that by default evicts the user's most
// idle connection). Broadcasts reach sessions through a [Broker];
// [MemoryBroker] is the single-process default.
package engine
