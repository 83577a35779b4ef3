// Package roomhold holds a room's goroutine for tests, so that the
// requests posted to the room meanwhile wait in its mailbox.
package roomhold

import (
	"context"
	"sync"
	"testing"

	"github.com/parlorhq/parlor/room"
)

// Hold runs a function on r's goroutine that blocks until release is
// called, and returns once that function runs: from then on, what is
// posted to r waits in its mailbox, in order. The hold ends when the test
// ends, if release was not called before; release may be called more than
// once.
func Hold(t testing.TB, r *room.Room) (release func()) {
	t.Helper()
	gate := make(chan struct{})
	release = sync.OnceFunc(func() { close(gate) })
	t.Cleanup(release)
	holding := make(chan struct{})
	go func() {
		_ = r.Do(context.Background(), func() {
			close(holding)
			<-gate
		})
	}()
	<-holding
	return release
}
