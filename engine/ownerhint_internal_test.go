package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/parlorhq/parlor/room"
)

// Owner hints: kept for ownerHintTTL, dropped only for the owner a join
// found wrong, and setting one drops a shard's expired hints once the
// shard holds ownerHintSweep of them.
func TestOwnerHints(t *testing.T) {
	e := &Engine{ownerHints: newShardedMap[ownerHint](), rooms: newShardedMap[*room.Room]()}
	e.hintOwner("room", "a")
	if got := e.hintedOwner("room"); got != "a" {
		t.Fatalf("hinted owner %q, want a", got)
	}
	// A room that runs here now has no owner elsewhere.
	e.rooms.update("room", func(m map[string]*room.Room) { m["room"] = room.New("room", "k", room.BaseHandler{}, room.Config{}) })
	if got := e.hintedOwner("room"); got != "" {
		t.Fatalf("the room runs here, yet the hinted owner is %q", got)
	}
	e.rooms.update("room", func(m map[string]*room.Room) { delete(m, "room") })
	e.dropOwnerHint("room", "b")
	if got := e.hintedOwner("room"); got != "a" {
		t.Fatalf("dropping another owner's hint: hinted owner %q, want a", got)
	}
	e.dropOwnerHint("room", "a")
	if got := e.hintedOwner("room"); got != "" {
		t.Fatalf("after the drop: hinted owner %q", got)
	}

	// Expired hints: not used, and swept from a full shard.
	past := time.Now().Add(-time.Second)
	shard := shardIndex("room", mapShards)
	var stale []string
	for i := 0; len(stale) < ownerHintSweep; i++ {
		if id := fmt.Sprint("old-", i); shardIndex(id, mapShards) == shard {
			stale = append(stale, id)
		}
	}
	e.ownerHints.update("room", func(m map[string]ownerHint) {
		for _, id := range stale {
			m[id] = ownerHint{owner: "a", until: past}
		}
	})
	if got := e.hintedOwner(stale[0]); got != "" {
		t.Fatalf("an expired hint was used: %q", got)
	}
	e.hintOwner("room", "c")
	e.ownerHints.update("room", func(m map[string]ownerHint) {
		if len(m) != 1 || m["room"].owner != "c" {
			t.Fatalf("the shard holds %d hints after the sweep, want the new one only", len(m))
		}
	})
	// No cluster: no hints.
	none := Engine{rooms: newShardedMap[*room.Room]()}
	none.hintOwner("room", "a")
	if got := none.hintedOwner("room"); got != "" {
		t.Fatalf("an engine without a cluster hinted %q", got)
	}
}

// testLease is a RoomLease that records how it ended.
type testLease struct {
	done             chan struct{}
	released, lapsed int
}

func (l *testLease) Done() <-chan struct{} { return l.done }
func (l *testLease) Release()              { l.released++ }
func (l *testLease) Lapse()                { l.lapsed++ }
func (l *testLease) Idle(bool)             {}

// A room whose exit took it out of the engine's rooms before its lease
// was bound (its creation failed, so it exited at once, and its exit
// found no lease to give up) has the lease given up by the binding. The
// binding used to watch the room's done channel only, which closes after
// the exit's OnExit: the lease stayed bound, renewed, to a room that had
// stopped. A room still running keeps its lease.
func TestBindLeaseAfterExit(t *testing.T) {
	e := &Engine{rooms: newShardedMap[*room.Room](), leases: newShardedMap[leasedRoom]()}
	gone := room.New("gone", "k", room.BaseHandler{}, room.Config{})
	lease := &testLease{done: make(chan struct{})}
	e.bindLease(gone, lease)
	if _, bound := e.leases.load("gone"); bound || lease.lapsed != 1 {
		t.Fatalf("a room no longer among the engine's rooms: lease bound %v, lapsed %d times, want unbound and lapsed once", bound, lease.lapsed)
	}

	running := room.New("running", "k", room.BaseHandler{}, room.Config{})
	e.rooms.update("running", func(m map[string]*room.Room) { m["running"] = running })
	kept := &testLease{done: make(chan struct{})}
	e.bindLease(running, kept)
	if lr, bound := e.leases.load("running"); !bound || lr.lease != RoomLease(kept) || kept.lapsed+kept.released != 0 {
		t.Fatalf("a running room: lease bound %v, lapsed %d, released %d", bound, kept.lapsed, kept.released)
	}
	close(kept.done) // lost: the binding's watcher shuts the room down
	e.wg.Wait()
}
