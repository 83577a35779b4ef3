// Package gamestest helps test game modules over real WebSockets: it seats
// real Go clients in matches on an engine served by the public test kit
// (parlortest), sends the toolkit's events and waits for its broadcasts.
//
//	s := parlortest.Start(t, parlortest.Config{
//		Modules: []room.Module{games.NewModule(tictactoe.Game{}, games.Config{})},
//	})
//	x, o := gamestest.Pair(t, s, "games.tictactoe", "alice", "bob")
//	if err := x.Move(map[string]int{"cell": 4}); err != nil { ... }
//	var m games.Moved
//	o.Expect(games.EventMoved, &m)
package gamestest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/parlortest"
)

// Timeout bounds every wait and request of a Player.
const Timeout = 5 * time.Second

// Player is one user's connection to one match room: a seated player or a
// spectator.
type Player struct {
	// T is the test the player fails on error.
	T testing.TB
	// Server is the engine the player is connected to.
	Server *parlortest.Server
	// Client is the player's connection.
	Client *client.Client
	// User is the player's user id.
	User string
	// Kind is the module's kind, e.g. "games.tictactoe".
	Kind string
	// Room is the match's room id, once joined.
	Room string
	// Joined is the snapshot of the last join.
	Joined games.Snapshot
}

var nonces atomic.Uint64

// Nonce returns a nonce unique within the test binary.
func Nonce() string { return fmt.Sprintf("gamestest-%d", nonces.Add(1)) }

// Dial connects user without joining anything.
func Dial(t testing.TB, s *parlortest.Server, kind, user string) *Player {
	t.Helper()
	return &Player{T: t, Server: s, Client: s.Dial(user), User: user, Kind: kind}
}

// Match dials one client per user and joins them, in order, to a new match
// seated in that order (seat 0 first). Every Player's Joined holds its
// snapshot; the last joiner's says the match is playing.
func Match(t testing.TB, s *parlortest.Server, kind string, users ...string) []*Player {
	t.Helper()
	nonce := Nonce()
	ps := make([]*Player, len(users))
	for i, u := range users {
		ps[i] = Dial(t, s, kind, u)
		if err := ps[i].Join(games.JoinParams{Seats: users, Nonce: nonce}); err != nil {
			t.Fatalf("%s joins the match: %v", u, err)
		}
	}
	return ps
}

// Pair is Match for two players: it returns seat 0 and seat 1.
func Pair(t testing.TB, s *parlortest.Server, kind, user0, user1 string) (*Player, *Player) {
	t.Helper()
	ps := Match(t, s, kind, user0, user1)
	return ps[0], ps[1]
}

// Watch dials user and joins the match roomID as a spectator.
func Watch(t testing.TB, s *parlortest.Server, kind, user, roomID string) *Player {
	t.Helper()
	p := Dial(t, s, kind, user)
	if err := p.Join(games.JoinParams{Room: roomID, Spectate: true}); err != nil {
		t.Fatalf("%s watches %s: %v", user, roomID, err)
	}
	return p
}

// Join joins a room of the player's kind with params and records the room
// and snapshot.
func (p *Player) Join(params games.JoinParams) error {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	j, err := p.Client.Join(ctx, p.Kind, params)
	if err != nil {
		return err
	}
	var snap games.Snapshot
	if err := j.Decode(&snap); err != nil {
		return err
	}
	p.Room, p.Joined = j.Room, snap
	return nil
}

// Send sends event with data to the match and returns the server's
// answer: nil, or a *codec.Error (see Code).
func (p *Player) Send(event string, data any) (client.Reply, error) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	return p.Client.Send(ctx, p.Room, event, data)
}

// Do is Send for events whose reply does not matter.
func (p *Player) Do(event string, data any) error {
	_, err := p.Send(event, data)
	return err
}

// Move sends a move.
func (p *Player) Move(move any) error { return p.Do(games.EventMove, move) }

// MustMove sends a move and fails the test if it is refused.
func (p *Player) MustMove(move any) {
	p.T.Helper()
	if err := p.Move(move); err != nil {
		p.T.Fatalf("%s moves %v: %v", p.User, move, err)
	}
}

// Next waits for the next event of the match called name, skipping
// others, and fails the test after Timeout.
func (p *Player) Next(name string) client.Event {
	p.T.Helper()
	return parlortest.Wait(p.T, p.Client, Timeout, func(ev client.Event) bool { return ev.Room == p.Room && ev.Name == name })
}

// NextAny waits for the next event of the match, whatever its name.
func (p *Player) NextAny() client.Event {
	p.T.Helper()
	return parlortest.Wait(p.T, p.Client, Timeout, func(ev client.Event) bool { return ev.Room == p.Room })
}

// Expect waits for the next event called name and decodes it into v.
func (p *Player) Expect(name string, v any) client.Event {
	p.T.Helper()
	ev := p.Next(name)
	if err := ev.Decode(v); err != nil {
		p.T.Fatalf("%s: decode %s: %v", p.User, name, err)
	}
	return ev
}

// Close drops the player's connection, as a lost network would.
func (p *Player) Close() { _ = p.Client.Close() }

// Reconnect dials a new connection for the player and rejoins the match by
// id.
func (p *Player) Reconnect() error {
	p.Client = p.Server.Dial(p.User)
	return p.Join(games.JoinParams{Room: p.Room})
}

// Code returns the code of a *codec.Error, or "" for nil and other errors.
func Code(err error) codec.Code {
	var ce *codec.Error
	if errors.As(err, &ce) {
		return ce.Code
	}
	return ""
}
