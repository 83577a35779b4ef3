// Package userchannel is the Go client's side of the user channel: the
// room of kind "user" that only its user joins, which carries the
// notifications the server's modules send and the presence of the users
// this user watches (docs/presence.md).
//
// Presence events are ephemeral and the server forgets a user's watches
// with their channel, so the Channel keeps the watch list (and the hidden
// choice) and sends it again after every rejoin of the channel, from
// Next; the reply is the truth, returned as Update.Statuses.
package userchannel

import (
	"context"
	"slices"
	"sync"

	"github.com/parlorhq/parlor/client"
)

// Channel is the user's own channel, joined with Join. Read its events
// with Next; Watch, Unwatch and Hide are safe to call from any goroutine.
type Channel struct {
	// Room is the channel's room, with its own delivery.
	Room *client.Room

	mu       sync.Mutex
	watching []string // in the order first watched
	hidden   bool
}

// Update is one event of the channel, decoded.
type Update struct {
	// Event is the event as received: a notification (an ordered event,
	// under the name its sender chose; decode it with Event.Decode),
	// EventPresence, client.EventResumed or client.EventRejoined after a
	// reconnect, client.EventGap, or a left notice.
	Event client.Event
	// Presence is set for EventPresence.
	Presence *Presence
	// Statuses is set after a rejoin (client.EventResumed or
	// client.EventRejoined): the statuses of the users watched, which
	// Next watched again.
	Statuses []Presence
}

// Join joins the user's channel on c. The client joins it again after
// every reconnect, from the last event seen, so notifications sent
// meanwhile are replayed (within the server's replay window).
func Join(ctx context.Context, c *client.Client) (*Channel, error) {
	r, err := c.Join(ctx, Kind, nil, client.WithRoomEvents(), client.WithResumeNotices())
	if err != nil {
		return nil, err
	}
	return &Channel{Room: r}, nil
}

// Watch watches users and returns their statuses, in the order asked;
// later changes come as EventPresence updates from Next. The server
// refuses a watch past its bound as a whole with a *codec.Error of code
// limit_exceeded, one that starts watching users faster than its
// PresenceWatchRate with rate_limited (try again later), and an empty or
// too long id with bad_request; the users of a refused watch are not kept.
func (ch *Channel) Watch(ctx context.Context, users ...string) ([]Presence, error) {
	st, err := ch.watch(ctx, users)
	if err != nil {
		return nil, err
	}
	ch.mu.Lock()
	for _, u := range users {
		if !slices.Contains(ch.watching, u) {
			ch.watching = append(ch.watching, u)
		}
	}
	ch.mu.Unlock()
	return st, nil
}

// Unwatch stops watching users.
func (ch *Channel) Unwatch(ctx context.Context, users ...string) error {
	ch.mu.Lock()
	ch.watching = slices.DeleteFunc(ch.watching, func(u string) bool { return slices.Contains(users, u) })
	ch.mu.Unlock()
	_, err := ch.Room.Send(ctx, OpUnwatch, usersOf(users))
	return err
}

// Hide hides this user's status from every watcher (they see the user
// Offline), or shows it again. The server refuses a change past its
// PresenceHideRate with a *codec.Error of code rate_limited (the status
// stays as it was; try again later); asking for the status the user has
// already is never refused.
func (ch *Channel) Hide(ctx context.Context, hidden bool) error {
	if _, err := ch.Room.Send(ctx, OpHide, hide{Hidden: hidden}); err != nil {
		return err
	}
	ch.mu.Lock()
	ch.hidden = hidden
	ch.mu.Unlock()
	return nil
}

// Watching returns the users watched, in the order first watched.
func (ch *Channel) Watching() []string {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return slices.Clone(ch.watching)
}

// Hidden reports whether this channel hid the user's status.
func (ch *Channel) Hidden() bool {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.hidden
}

// Next waits for the channel's next event and returns it decoded. After a
// rejoin (client.EventResumed or client.EventRejoined) it first hides the
// user again if they hid, and watches the watch list again, and returns
// the statuses in Update.Statuses; when that fails (the connection was
// lost again) it returns the Update with the error, and the next rejoin
// tries again. Read the channel with Next for the watches to be restored.
// It returns client.ErrClosed (or the
// client's error) when the channel's events end, after a left notice,
// which it returns as an Update first.
func (ch *Channel) Next(ctx context.Context) (Update, error) {
	var ev client.Event
	var ok bool
	select {
	case ev, ok = <-ch.Room.Events():
	case <-ctx.Done():
		return Update{}, ctx.Err()
	}
	if !ok {
		if err := ch.Room.Client().Err(); err != nil {
			return Update{}, err
		}
		return Update{}, client.ErrClosed
	}
	u := Update{Event: ev}
	var err error
	switch ev.Name {
	case EventPresence:
		u.Presence = new(Presence)
		err = ev.Decode(u.Presence)
	case client.EventResumed, client.EventRejoined:
		u.Statuses, err = ch.restore(ctx)
	}
	return u, err
}

// restore sends the hidden choice and the watch list again.
func (ch *Channel) restore(ctx context.Context) ([]Presence, error) {
	ch.mu.Lock()
	hidden, watching := ch.hidden, slices.Clone(ch.watching)
	ch.mu.Unlock()
	if hidden {
		if _, err := ch.Room.Send(ctx, OpHide, hide{Hidden: true}); err != nil {
			return nil, err
		}
	}
	if len(watching) == 0 {
		return nil, nil
	}
	return ch.watch(ctx, watching)
}

func (ch *Channel) watch(ctx context.Context, list []string) ([]Presence, error) {
	rep, err := ch.Room.Send(ctx, OpWatch, usersOf(list))
	if err != nil {
		return nil, err
	}
	var st statuses
	if err := rep.Decode(&st); err != nil {
		return nil, err
	}
	return st.Statuses, nil
}

// Leave leaves the channel; see client.Room.Leave. Events still buffered
// for the channel are discarded, so a left channel holds nothing until
// the client closes.
func (ch *Channel) Leave(ctx context.Context) error {
	err := ch.Room.Leave(ctx)
	if events := ch.Room.Events(); events != nil && err == nil {
		go func() {
			for range events { // ends once the room's delivery has ended
			}
		}()
	}
	return err
}

// usersOf is the data of OpWatch and OpUnwatch.
func usersOf(list []string) users { return users{Users: list} }
