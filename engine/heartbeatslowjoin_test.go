package engine_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
)

// TestHeartbeatSlowJoin: a join that waits for a busy room blocks the
// connection's reader (handleAside), so the pongs the client sends meanwhile
// are not read. The connection must not be closed as silent (4000), as it is
// not for a slow inline send (TestHeartbeatSlowInlineHandler).
func TestHeartbeatSlowJoin(t *testing.T) {
	const interval, timeout = 100 * time.Millisecond, 100 * time.Millisecond
	mod := newTestModule()
	env := newEnv(t, engine.Config{HeartbeatInterval: interval, HeartbeatTimeout: timeout}, mod)
	release := gateMessages(t, mod)

	a := env.dial("alice")
	ja := a.join(testKind, testParams{Name: "busy"})
	blockRoom(t, mod, a, ja.Room) // the room is busy until release

	var opened, dropped atomic.Int32
	b, err := env.dialOpts("bob", client.Options{
		OnStateChange: func(sc client.StateChange) {
			if sc.State == client.StateOpen {
				opened.Add(1)
			} else if opened.Load() > 0 {
				dropped.Add(1)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	joined := make(chan error, 1)
	go func() {
		_, err := b.Join(testCtx(t), testKind, testParams{Name: "busy"})
		joined <- err
	}()
	// Several pings go out to bob while his join waits in the mailbox.
	time.Sleep(7 * (interval + timeout))
	release()
	if err := <-joined; err != nil {
		t.Fatalf("bob's join: %v (connection dropped %d times)", err, dropped.Load())
	}
	if n := dropped.Load(); n != 0 {
		t.Fatalf("bob's connection changed state %d times during a slow join; want it kept open", n)
	}
}
