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
