package natsbroker_test

import (
	"log"

	"github.com/parlorhq/parlor/cluster"
	"github.com/parlorhq/parlor/cluster/natsbroker"
	"github.com/parlorhq/parlor/engine"
)

// An engine whose room broadcasts travel over NATS. The node dials once
// and shares the connection with the lease manager and the forwarding
// server.
func Example() {
	nc, err := cluster.Dial(cluster.DialConfig{URL: "nats://127.0.0.1:4222", Node: "node-1"})
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	broker := natsbroker.New(nc, natsbroker.Config{})
	defer broker.Close()

	cfg := engine.Config{Broker: broker}
	_ = cfg // engine.New(cfg, ...) as on one node
}
