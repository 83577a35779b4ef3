package chat

import (
	"slices"
)

// Notifier reaches a user outside the chat rooms. *engine.Engine
// implements it: Notify broadcasts on the user's channel.
type Notifier interface {
	// Notify sends user an event; an error means the user was not
	// reached.
	Notify(user, event string, data any) error
}

// EventNewConversation is the event Config.Notifier sends a user who is
// in a new conversation: a direct conversation someone wrote to them for
// the first time, or a group that added them. Payload ConversationNotice.
const EventNewConversation = "chat.conversation"

// ConversationNotice is the payload of EventNewConversation.
type ConversationNotice struct {
	// Room is the conversation's room id.
	Room string `msgpack:"room"`
	// Kind is KindDM or KindGroup.
	Kind string `msgpack:"kind"`
	// From is who wrote first, or added the user to the group.
	From string `msgpack:"from"`
	// Name is a group's name.
	Name string `msgpack:"name,omitempty"`
}

// announce tells the users new to the conversation after w (see
// Config.Notifier), unless w is a game note.
func (h *conversation) announce(w Write) {
	e := w.Entry
	var to []string
	switch {
	case e.Kind == KindGame:
		// A game note's own notice (a challenge) says more.
	case h.kind == KindDM && w.Room != nil:
		to = w.Room.Members
	case h.kind == KindGroup && e.Kind == KindMembers:
		to = e.Added
	}
	h.c.announce(ConversationNotice{Room: h.id, Kind: h.kind, From: e.From, Name: h.info.Name}, to)
}

// announce sends n to the users in to but its author, through
// Config.Notifier, unless their inbox is open (which was told already).
// It runs off the caller's goroutine: the notifier may wait for the
// user's channel.
func (c *Chat) announce(n ConversationNotice, to []string) {
	nt := c.cfg.Notifier
	if nt == nil {
		return
	}
	to = slices.DeleteFunc(slices.Clone(to), func(u string) bool { return u == n.From || c.hasInbox(u) })
	if len(to) == 0 {
		return
	}
	go func() {
		for _, u := range to {
			_ = nt.Notify(u, EventNewConversation, n)
		}
	}()
}
