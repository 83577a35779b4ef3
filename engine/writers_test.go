package engine_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
)

// writerGoroutines counts the goroutines running or parked in the engine's
// writer loop.
func writerGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "engine.(*Engine).runWriter(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// Writers park between bursts, and parked writers carry the next bursts
// of any connection in order, but an idle engine keeps none: once traffic
// stops, every writer goroutine exits.
func TestIdleWritersExit(t *testing.T) {
	env := newEnv(t, engine.Config{RateLimit: -1})
	const members, rounds = 20, 30
	clients := make([]*tclient, members)
	var roomID string
	for i := range clients {
		clients[i] = env.dial(fmt.Sprintf("u%d", i))
		roomID = clients[i].join(echo.Kind, echo.JoinParams{Name: "writers"}).Room
	}
	for r := range rounds {
		clients[r%members].say(roomID, fmt.Sprintf("m%d", r))
	}
	for _, c := range clients {
		evs := c.waitEvents(roomID, "said", rounds)
		for i, ev := range evs {
			if got := decodeSaid(t, ev).Text; got != fmt.Sprintf("m%d", i) {
				t.Fatalf("%s: event %d = %q, want m%d", c.UserID(), i, got, i)
			}
		}
	}
	eventually(t, waitTimeout, "idle writers to exit", func() bool { return writerGoroutines() == 0 })
	// A burst after the writers have gone starts new ones.
	clients[0].say(roomID, "again")
	for _, c := range clients {
		c.waitEvents(roomID, "said", rounds+1)
	}
}
