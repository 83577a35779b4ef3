package chat

import (
	"context"
	"errors"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
)

// Asker is a Relay that can also ask a room's listener to do something
// and hear whether it did. The engine implements it. With one as
// Config.Relay, a DM room listens on its own id while it runs, and
// AddGameNote called on another node of a cluster writes the note
// through that room: the members who have the conversation open get it
// live, and the room's log stays its own. Without one, a note for a DM
// room that runs on another node is written to the store behind that
// room's back, which stops it at its next write (see docs/cluster.md).
type Asker interface {
	// Ask sends event and data to the listener of room, wherever it runs,
	// and waits for its answer, at most until ctx ends. listened is false
	// when nobody listens on room; otherwise err is the listener's answer.
	Ask(ctx context.Context, room, event string, data []byte) (listened bool, err error)
	// ListenAsk calls fn with each event sent or asked to room, from any
	// node, until stop is called. fn must not block; it calls done
	// exactly once, at once or later, with the asker's answer.
	ListenAsk(room string, fn func(event string, data []byte, done func(error))) (stop func(), err error)
}

// eventGameNote asks a running DM room to write a game note.
const eventGameNote = "chat.game_note"

// noteAsk is what AddGameNote asks of the DM room: the entry to write
// (its room apart: a Message does not encode it) and the conversation's
// two users.
type noteAsk struct {
	Room  string  `msgpack:"room"`
	Entry Message `msgpack:"entry"`
	Size  int     `msgpack:"size"`
	A     string  `msgpack:"a"`
	B     string  `msgpack:"b"`
}

// errNoteRoomStopped answers an asked note that found its room stopping:
// the asker tries again.
var errNoteRoomStopped = &codec.Error{Code: codec.CodeUnavailable, Message: "chat: the conversation stopped, try again"}

// asker returns Config.Relay as an Asker, or nil.
func (c *Chat) asker() Asker {
	a, _ := c.cfg.Relay.(Asker)
	return a
}

// listenNotes makes the DM room r, run by h, write the game notes asked
// of it from other nodes (AddGameNote), until the returned function is
// called. Without an Asker it does nothing.
func (h *conversation) listenNotes(r *room.Room) func() {
	a := h.c.asker()
	if a == nil {
		return func() {}
	}
	stop, err := a.ListenAsk(h.id, func(event string, data []byte, done func(error)) {
		if event != eventGameNote {
			done(nil)
			return
		}
		var ask noteAsk
		if err := codec.UnmarshalData(data, &ask); err != nil || ask.Room != h.id || ask.Entry.Game == nil {
			done(noteAnswer(ErrInvalidGameNote))
			return
		}
		ask.Entry.Room = ask.Room
		go func() { // the room's goroutine writes it; the listener must not block
			ctx, cancel := h.c.opCtx()
			defer cancel()
			var err error
			if doErr := r.Do(ctx, func() { _, err = h.addNote(ctx, r, ask.Entry, ask.Size, ask.A, ask.B) }); doErr != nil {
				err = doErr
			}
			if errors.Is(err, room.ErrClosed) {
				err = errNoteRoomStopped
			}
			done(noteAnswer(err))
		}()
	})
	if err != nil {
		h.c.cfg.Logger.Warn("chat: listen for game notes", zap.String("room", h.id), zap.Error(err))
		return func() {}
	}
	return stop
}

// noteAnswer is err as an asker on another node can read it: a coded
// error as it is, anything else as unavailable with its text.
func noteAnswer(err error) error {
	var ce *codec.Error
	if err == nil || errors.As(err, &ce) {
		return err
	}
	return &codec.Error{Code: codec.CodeUnavailable, Message: "chat: game note: " + err.Error()}
}

// askNote asks the DM room of e, wherever it runs, to write e, and
// returns the note as stored. listened is false when no room listens:
// the caller writes to the store itself.
func (c *Chat) askNote(ctx context.Context, a Asker, e Message, size int, u1, u2 string) (out Message, listened bool, err error) {
	data, err := codec.MarshalData(&noteAsk{Room: e.Room, Entry: e, Size: size, A: u1, B: u2})
	if err != nil {
		return Message{}, true, err
	}
	listened, err = a.Ask(ctx, e.Room, eventGameNote, data)
	if !listened || err != nil {
		var ce *codec.Error
		if errors.As(err, &ce) && ce.Code == errNoteRoomStopped.Code && ce.Message == errNoteRoomStopped.Message {
			err = room.ErrClosed // the caller tries again
		}
		return Message{}, listened, err
	}
	stored, err := c.store.Lookup(ctx, e.Room, e.From, e.ClientMsgID)
	if err != nil {
		return Message{}, true, storeErr(ctx, "look up game note", err)
	}
	return stored, true, nil
}
