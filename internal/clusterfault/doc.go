// Package clusterfault holds Parlor's cluster fault tests: real
// processes on loopback, three Parlor nodes (the clusternode command in
// this module), a three-server NATS cluster with JetStream (nats-server
// built with the go command from this module's requirements), PostgreSQL
// and the round-robin proxy (cmd/parlor-proxy). The tests kill, stop and
// pause these processes and check what the protocol promises afterwards.
//
// It is a module of its own, like cluster/clustertest, so that
// nats-server stays out of what a library user downloads; its go.mod
// points back at Parlor with a replace. The package has no code outside
// its tests; docs/cluster.md ("Fault tests") says what each test proves
// and how to run them.
package clusterfault
