package roomtest_test

import (
	"fmt"
	"time"

	"github.com/parlorhq/parlor/room/roomtest"
)

// A FakeClock fires timers only when advanced.
func ExampleFakeClock() {
	c := roomtest.NewFakeClock(time.Time{})
	c.AfterFunc(30*time.Second, func() { fmt.Println("grace over at", c.Now().Format(time.TimeOnly)) })
	c.Advance(29 * time.Second)
	fmt.Println("pending:", c.Pending())
	c.Advance(time.Second)
	// Output:
	// pending: 1
	// grace over at 00:00:30
}
