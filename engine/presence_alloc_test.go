package engine

import (
	"testing"

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
