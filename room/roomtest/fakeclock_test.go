package roomtest_test

import (
	"slices"
	"testing"
	"time"

	"github.com/parlorhq/parlor/room/roomtest"
)

func TestFakeClock(t *testing.T) {
	c := roomtest.NewFakeClock(time.Time{})
	t0 := c.Now()
	var fired []string
	at := func(name string) func() {
		return func() { fired = append(fired, name+"@"+c.Now().Sub(t0).String()) }
	}
	c.AfterFunc(3*time.Second, at("c"))
	c.AfterFunc(time.Second, at("a"))
	stopped := c.AfterFunc(2*time.Second, at("stopped"))
	c.AfterFunc(time.Second, func() {
		at("b")()
		c.AfterFunc(500*time.Millisecond, at("chained")) // due within this advance
	})
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop should report true once")
	}
	if c.Pending() != 3 {
		t.Fatalf("pending %d", c.Pending())
	}
	c.Advance(2 * time.Second)
	want := []string{"a@1s", "b@1s", "chained@1.5s"}
	if !slices.Equal(fired, want) {
		t.Fatalf("fired %v, want %v", fired, want)
	}
	if got := c.Now().Sub(t0); got != 2*time.Second {
		t.Fatalf("now at +%v", got)
	}
	c.Advance(time.Second)
	if fired[len(fired)-1] != "c@3s" || c.Pending() != 0 {
		t.Fatalf("fired %v pending %d", fired, c.Pending())
	}
}
