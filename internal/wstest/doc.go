// Package wstest is the test suite's hand-written WebSocket peer and TCP
// relay, shared by the engine's tests, the fault tests and the client's
// tests.
//
// Conn is a parlor.v1 peer on a plain TCP connection. It does what a real
// client library will not: stop reading, never answer pings, send text or
// malformed frames, write a frame header and no body, or read the exact
// close code of a connection the server ended.
//
// Proxy relays TCP connections to a server and breaks them the way
// networks do, which neither side can do to itself through its WebSocket
// library: a reset without any close frame, or bytes held in flight.
//
// Everything here reports errors instead of failing a test, except
// StartProxy, which owns a listener for the test's lifetime.
package wstest
