// Package faulttest holds Parlor's fault tests: they run the server
// (internal/faultserver) as a real child process on loopback, inflict a
// fault on it or on its clients (SIGKILL, SIGTERM under load, a TCP
// connection cut mid-game, a client that stops reading) and check what
// the protocol promises afterwards. The package has no code outside its
// tests; docs/reliability.md describes what each test proves and how to
// run them.
package faulttest
