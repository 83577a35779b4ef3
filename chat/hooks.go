package chat

import (
	"context"
	"errors"

	"github.com/parlorhq/parlor/codec"
)

// Draft is a text about to be stored, as Config.Moderate sees it.
type Draft struct {
	// Room is the room id.
	Room string
	// Kind is KindDM or KindGroup.
	Kind string
	// From is the author.
	From string
	// Text is the validated, trimmed text. Moderate may rewrite it.
	Text string
	// Edit is the seq of the message being edited, or 0 for a new
	// message.
	Edit uint64
}

// Stored describes a stored entry, for Config.AfterStore.
type Stored struct {
	// Entry is the entry as stored and broadcast.
	Entry Message
	// Kind is KindDM or KindGroup.
	Kind string
	// Members lists the conversation's members after the entry.
	Members []string
	// Offline lists the members with no session in the room who have
	// not muted it (Settings.Muted): the ones a push notification is for.
	Offline []string
}

// canMessage applies Config.CanMessage. An answer that comes after the
// request's deadline is not used: the request fails with ErrTimeout.
func (c *Chat) canMessage(ctx context.Context, from, to string) error {
	if c.cfg.CanMessage == nil {
		return nil
	}
	err := c.cfg.CanMessage(ctx, from, to)
	if ctx.Err() != nil {
		return ErrTimeout
	}
	return refusal(err, ErrNotAllowed)
}

// moderate applies Config.Moderate and checks the text it leaves. An
// answer that comes after the request's deadline is not used: the request
// fails with ErrTimeout.
func (c *Chat) moderate(ctx context.Context, d *Draft) (string, error) {
	if c.cfg.Moderate == nil {
		return d.Text, nil
	}
	err := c.cfg.Moderate(ctx, d)
	if ctx.Err() != nil {
		return "", ErrTimeout
	}
	if err != nil {
		return "", refusal(err, ErrModerated)
	}
	return c.checkText(d.Text)
}

// refusal keeps a hook's coded error and turns any other into def.
func refusal(err, def error) error {
	if err == nil {
		return nil
	}
	var ce *codec.Error
	if errors.As(err, &ce) {
		return ce
	}
	return def
}
