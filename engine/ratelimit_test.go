package engine_test

import (
	"fmt"
	"testing"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
)

// TestRateBurstIsExact: a connection may send exactly RateBurst frames in
// a burst (connect and join count) and the next one is answered with
// rate_limited. The refill is slow enough (one token per 1,000 s) that no
// token comes back while the test runs, so the count is exact without
// any timing. Another user in the same room still sends.
func TestRateBurstIsExact(t *testing.T) {
	const burst = 8
	env := newEnv(t, engine.Config{RateLimit: 0.001, RateBurst: burst, RateStrikes: 100})
	by := newBystander(env, "bob", "lobby")
	abuser := env.dial("mallory")
	j := abuser.join(echo.Kind, echo.JoinParams{Name: "lobby"})

	// Connect and join took 2 tokens.
	for i := range burst - 2 {
		if _, err := abuser.Send(testCtx(t), j.Room, "say", echo.SayData{Text: fmt.Sprint("within the burst ", i)}); err != nil {
			t.Fatalf("send %d of %d within the burst: %v", i+3, burst, err)
		}
		by.said++
	}
	_, err := abuser.Send(testCtx(t), j.Room, "say", echo.SayData{Text: "one too many"})
	if err == nil {
		t.Fatalf("frame %d of a burst of %d was accepted", burst+1, burst)
	}
	if code := codeOf(t, err); code != codec.CodeRateLimited {
		t.Fatalf("frame %d of a burst of %d: %v, want %s", burst+1, burst, err, codec.CodeRateLimited)
	}
	if abuser.Err() != nil {
		t.Fatalf("one limited frame closed the connection: %v", abuser.Err())
	}
	by.check("mallory")
}
