package lease_test

import (
	"context"
	"errors"
	"log"

	"github.com/parlorhq/parlor/cluster"
	"github.com/parlorhq/parlor/cluster/lease"
)

// Take a room's lease, or learn who owns it; drop the room when the lease
// is lost; release it after the room's last write.
func Example() {
	ctx := context.Background()
	nc, err := cluster.Dial(cluster.DialConfig{URL: "nats://127.0.0.1:4222", Node: "node-1"})
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	leases, err := lease.NewManager(ctx, nc, lease.Config{Node: "node-1", Replicas: 3})
	if err != nil {
		log.Fatal(err)
	}
	defer leases.Close()

	l, err := leases.Acquire(ctx, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
	var taken *lease.TakenError
	switch {
	case errors.As(err, &taken):
		log.Printf("forward to %s", taken.Owner)
		return
	case err != nil:
		log.Fatal(err)
	}
	go func() {
		<-l.Done()
		if errors.Is(l.Err(), lease.ErrLost) {
			log.Printf("room %s lost: stop writing, drop it", l.Room())
		}
	}()
	// ... run the room; after its last write is stored:
	if err := l.Release(ctx); err != nil {
		log.Print(err)
	}
}
