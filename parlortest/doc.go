// Package parlortest is the test kit for Parlor modules: it serves a real
// engine on loopback with the modules a test names, connects Go clients
// authenticated as named users, and can run the rooms' timers on a fake
// clock that only the test moves.
//
// Everything goes over real WebSockets, as in production: the kit replaces
// only the host's authentication (a user name in the URL) and, optionally,
// the rooms' clock.
//
//	srv := parlortest.Start(t, parlortest.Config{
//		Modules:   []room.Module{games.NewModule(tictactoe.Game{}, games.Config{})},
//		FakeClock: true,
//	})
//	alice := srv.Dial("alice")
//	r, err := alice.Join(ctx, "games.tictactoe", games.JoinParams{Opponent: "bob", Nonce: "n1"},
//		client.WithRoomEvents())
//	...
//	ev := parlortest.Expect(t, r, games.EventStarted, &started)
//	srv.Advance(time.Minute) // the rooms' due timers have run
//
// The server and every client it dialed are closed when the test ends.
package parlortest
