package chatclient

import (
	"context"
	"errors"
	"fmt"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
)

// ErrClosed: the conversation's events ended (it was left, or the client
// closed) while Next waited.
var ErrClosed = errors.New("chatclient: conversation closed")

// ErrMissed is NextMessage's error when messages may have passed that it
// cannot return: events were dropped (client.EventGap, a full buffer) or
// the conversation was joined again with a fresh snapshot
// (client.EventRejoined). History fetches what was missed; the next call
// goes on from there.
var ErrMissed = errors.New("chatclient: messages missed; fetch them with History")

// Update is one event of a conversation, decoded. Event is the raw event;
// the field of its kind is set, and the others are nil.
type Update struct {
	// Event is the event as received.
	Event client.Event
	// Message is set for the log entries (Event.Name chat.KindMessage,
	// KindEdit, KindDelete, KindMembers or KindGame; a game note is in
	// Message.Game).
	Message *chat.Message
	// Read is set for chat.EventRead.
	Read *chat.ReadEvent
	// Typing is set for chat.EventTyping.
	Typing *chat.TypingEvent
	// Presence is set for chat.EventPresence.
	Presence *chat.PresenceEvent
	// Snapshot is set for client.EventRejoined: the conversation was
	// joined again after a reconnect the server could not replay; refetch
	// older messages with History.
	Snapshot *chat.Snapshot
	// Missed is true for client.EventGap: events were dropped because
	// they were not read in time; refetch with History from the head.
	Missed bool
}

// Next waits for the conversation's next event and returns it decoded.
// It returns ErrClosed (or the client's error) when the conversation's
// events end, after a left notice, which it returns as an Update first.
func (cv *Conversation) Next(ctx context.Context) (Update, error) {
	var ev client.Event
	var ok bool
	select {
	case ev, ok = <-cv.Room.Events():
	case <-ctx.Done():
		return Update{}, ctx.Err()
	}
	if !ok {
		if err := cv.Room.Client().Err(); err != nil {
			return Update{}, err
		}
		return Update{}, ErrClosed
	}
	u := Update{Event: ev}
	var err error
	switch ev.Name {
	case chat.KindMessage, chat.KindEdit, chat.KindDelete, chat.KindMembers, chat.KindGame:
		u.Message = new(chat.Message)
		err = ev.Decode(u.Message)
	case chat.EventRead:
		u.Read = new(chat.ReadEvent)
		err = ev.Decode(u.Read)
	case chat.EventTyping:
		u.Typing = new(chat.TypingEvent)
		err = ev.Decode(u.Typing)
	case chat.EventPresence:
		u.Presence = new(chat.PresenceEvent)
		err = ev.Decode(u.Presence)
	case client.EventRejoined:
		u.Snapshot = new(chat.Snapshot)
		err = ev.Decode(u.Snapshot)
	case client.EventGap:
		u.Missed = true
	}
	if err != nil {
		return u, fmt.Errorf("chatclient: %s: %w", ev.Name, err)
	}
	return u, nil
}

// NextMessage reads events until a new message (chat.KindMessage)
// arrives, and returns it. It returns ErrMissed, rather than skip on in
// silence, when messages may have passed between it and the last one:
// events dropped, or a rejoin's fresh snapshot (Next returns both).
func (cv *Conversation) NextMessage(ctx context.Context) (chat.Message, error) {
	for {
		u, err := cv.Next(ctx)
		if err != nil {
			return chat.Message{}, err
		}
		if u.Missed || u.Snapshot != nil {
			return chat.Message{}, ErrMissed
		}
		if u.Event.Name == chat.KindMessage && u.Message != nil {
			return *u.Message, nil
		}
	}
}
