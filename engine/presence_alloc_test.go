package engine

import (
	"testing"
	"unsafe"

	"go.uber.org/zap"
)

// A data message's presence bookkeeping is on every read: it must not
// allocate.
func TestPresenceTouchAllocatesNothing(t *testing.T) {
	e := &Engine{cfg: Config{Logger: zap.NewNop()}.withDefaults()}
	p := newPresenceTracker(e)
	pe := p.change("alice", func(*presenceEntry) {})
	if n := testing.AllocsPerRun(1000, func() { p.touch(pe) }); n != 0 {
		t.Fatalf("touch allocates %v times per message", n)
	}
}

// A connected user holds one presence entry for as long as they are
// connected: it stays in the 144-byte size class (128 until views were
// stamped with when hidden was set, for clusters).
func TestPresenceEntrySize(t *testing.T) {
	if n := unsafe.Sizeof(presenceEntry{}); n > 144 {
		t.Fatalf("presenceEntry is %d bytes, want at most 144", n)
	}
}
