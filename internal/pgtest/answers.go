package pgtest

import (
	"testing"
	"time"
)

// WaitAnswers calls read until it succeeds, for at most 10 s, pausing
// 10 ms between calls, and fails the test if a call fails with an error
// that unavailable does not accept. After a stall a store's first call
// opens a new connection (the stalled one was closed at its timeout),
// password authentication included, and on a busy machine under -race
// that can take more than a short Options.Timeout such as the 300 ms of
// the stores' TestTimeout. Reads wait for it, so that a write after them
// checks that the store works again without racing the connect.
func WaitAnswers(t testing.TB, read func() error, unavailable func(error) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := read()
		if err == nil {
			return
		}
		if !unavailable(err) {
			t.Fatalf("a read once the database answers: %v, want success or unavailable", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("reads still fail 10 s after the database answers: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
