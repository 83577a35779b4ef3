// Package testserver keeps the test helpers of this module's own packages
// on the public test kit, parlortest.
package testserver

import (
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/parlortest"
	"github.com/parlorhq/parlor/room"
)

// Server is an engine served over loopback.
type Server = parlortest.Server

// Start serves an engine with cfg and the given modules; see
// parlortest.Start.
func Start(t testing.TB, cfg engine.Config, modules ...room.Module) *Server {
	t.Helper()
	return parlortest.Start(t, parlortest.Config{Engine: cfg, Modules: modules})
}

// Next waits for the next event in room ("" for any) on c.Events,
// skipping other rooms' events, and fails the test after timeout.
func Next(t testing.TB, c *client.Client, room string, timeout time.Duration) client.Event {
	t.Helper()
	return parlortest.Wait(t, c, timeout, func(ev client.Event) bool { return room == "" || ev.Room == room })
}

// NextNamed waits for the next event called name in room, skipping
// others.
func NextNamed(t testing.TB, c *client.Client, room, name string, timeout time.Duration) client.Event {
	t.Helper()
	return parlortest.Wait(t, c, timeout, func(ev client.Event) bool {
		return (room == "" || ev.Room == room) && ev.Name == name
	})
}
