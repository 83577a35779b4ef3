package engine_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/engine"
)

// TestPresenceFanOutEachWatcherItsTime: a change reaches every watcher
// though the policy is slow for each: every watcher has JoinTimeout of its
// own for its check and its event, where the first few used to use up one
// time shared by all, and the rest never heard of the change.
func TestPresenceFanOutEachWatcherItsTime(t *testing.T) {
	var slow atomic.Bool
	const jt = 300 * time.Millisecond
	env := newPresenceEnv(t, engine.Config{
		JoinTimeout: jt,
		PresencePolicy: func(context.Context, string, string) bool {
			if slow.Load() {
				time.Sleep(jt / 3) // a lookup of 100 ms
			}
			return true
		},
	})
	var ws []*watcher
	for i := range 8 {
		w := env.watcher(fmt.Sprintf("w%d", i))
		if _, err := w.watch("alice"); err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	slow.Store(true)
	env.dial("alice")
	env.clk.Advance(testCoalesce)
	missed := 0
	for _, w := range ws {
		if got := env.changes(w); len(got) == 0 {
			missed++
		}
	}
	if missed > 0 {
		t.Fatalf("%d of %d watchers never told alice is online", missed, len(ws))
	}
}
