// Package cluster holds what the cluster packages share: the NATS
// connection a node dials once and hands to [natsbroker], [lease] and
// [forward].
//
// One node with no NATS at all is the default and needs none of this. The
// design (which subject carries what, which bucket holds what, leases and
// fencing) is in docs/cluster.md.
//
// [natsbroker]: https://pkg.go.dev/github.com/parlorhq/parlor/cluster/natsbroker
// [lease]: https://pkg.go.dev/github.com/parlorhq/parlor/cluster/lease
// [forward]: https://pkg.go.dev/github.com/parlorhq/parlor/cluster/forward
package cluster
