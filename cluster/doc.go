// Package cluster runs Parlor engines as the nodes of one cluster on NATS.
// A node dials NATS once ([Dial]), builds a [Node] on the connection, and
// gives it to its engine as engine.Config.Cluster; the Node puts the other
// packages together: [natsbroker] for the room and user subjects, [lease]
// for room ownership, [forward] for the requests of remote members, and
// the room signal subjects (parlor.sig.<room>) that carry chat inbox
// updates and notifications to the node that runs the room.
//
// One node with no NATS at all is the default and needs none of this. The
// design (which subject carries what, which bucket holds what, leases and
// fencing) is in docs/cluster.md.
//
// [natsbroker]: https://pkg.go.dev/github.com/parlorhq/parlor/cluster/natsbroker
// [lease]: https://pkg.go.dev/github.com/parlorhq/parlor/cluster/lease
// [forward]: https://pkg.go.dev/github.com/parlorhq/parlor/cluster/forward
package cluster
