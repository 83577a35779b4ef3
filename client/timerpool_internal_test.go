package client

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// A pooled timer never hands a stale value to its next request, in
// either kind of timer channel: the synchronous ones of Go 1.23 and
// later, and the asynchronous ones a main module may ask for with
// GODEBUG asynctimerchan=1 (checked in a child process with it set),
// where a timer that fired unreceived must not be pooled.
func TestTimerPool(t *testing.T) {
	t.Run("sync channels", testTimerReuse)
	t.Run("async channels", func(t *testing.T) {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestTimerPoolChild$", "-test.count", "1")
		cmd.Env = append(os.Environ(), "GODEBUG=asynctimerchan=1", "PARLOR_TIMER_POOL_CHILD=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("child with asynctimerchan=1: %v\n%s", err, out)
		}
	})
}

// TestTimerPoolChild is TestTimerPool's child process.
func TestTimerPoolChild(t *testing.T) {
	if os.Getenv("PARLOR_TIMER_POOL_CHILD") == "" {
		t.Skip("run by TestTimerPool")
	}
	testTimerReuse(t)
}

func testTimerReuse(t *testing.T) {
	for _, c := range []struct {
		name          string
		fire, receive bool
	}{
		{"stopped", false, false},
		{"fired and received", true, true},
		{"fired unreceived", true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			tm := getTimer(time.Hour)
			if c.fire {
				tm.Reset(time.Millisecond)
				time.Sleep(20 * time.Millisecond)
				if c.receive {
					<-tm.C
				}
			}
			putTimer(tm, c.receive)
			again := getTimer(time.Hour)
			defer putTimer(again, false)
			select {
			case <-again.C:
				t.Fatal("the next request's timer fired at once")
			case <-time.After(30 * time.Millisecond):
			}
		})
	}
}
