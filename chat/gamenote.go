package chat

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"sync"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
)

// KindGame is a log entry of a direct conversation that the server, not a
// client, writes: a note about a game between the two users (a challenge
// offered, answered or expired, or a match's result), in Message.Game.
// The host writes it with Chat.AddGameNote; clients cannot send it. It
// does not count as unread and does not move the conversation in the
// inbox.
const KindGame = "game"

// States of a GameNote, as the games module names them.
const (
	GameOffered   = "offered"
	GameAccepted  = "accepted"
	GameDeclined  = "declined"
	GameCancelled = "cancelled"
	GameExpired   = "expired"
	GameFinished  = "finished"
)

// Bounds of a GameNote's fields.
const (
	// MaxGameRefLen bounds GameNote.Ref, in bytes.
	MaxGameRefLen = 100
	// MaxGameWordLen bounds GameNote.Game, GameNote.Nonce and
	// GameNote.Reason, in bytes.
	MaxGameWordLen = 64
	// MaxGameClockMS bounds GameNote.BaseMS and GameNote.IncrementMS: a
	// day.
	MaxGameClockMS = 24 * 60 * 60 * 1000
	// MaxGamePly bounds GameNote.Ply.
	MaxGamePly = 100_000
)

// GameNote is the body of a KindGame entry. Every field is checked by
// AddGameNote: words are 1 to MaxGameWordLen bytes of [a-z A-Z 0-9 _ -],
// users are the conversation's two users.
type GameNote struct {
	// Ref is the match's id (its room id); the notes of one challenge
	// share it. 1 to MaxGameRefLen bytes of [a-z A-Z 0-9 _ -].
	Ref string `msgpack:"ref"`
	// Game is the game's name, such as "chess".
	Game string `msgpack:"game"`
	// State is GameOffered, GameAccepted, GameDeclined, GameCancelled,
	// GameExpired or GameFinished.
	State string `msgpack:"state"`
	// From is the challenger.
	From string `msgpack:"from"`
	// Nonce is the challenge's nonce, with which the other user accepts
	// or declines it. Optional.
	Nonce string `msgpack:"nonce,omitempty"`
	// BaseMS and IncrementMS are the time control; zero if untimed.
	BaseMS int64 `msgpack:"base_ms,omitempty"`
	// IncrementMS is the time control's increment in milliseconds.
	IncrementMS int64 `msgpack:"increment_ms,omitempty"`
	// By is the user who declined or cancelled. Optional.
	By string `msgpack:"by,omitempty"`
	// Winner is the user who won a finished game; empty for a draw.
	Winner string `msgpack:"winner,omitempty"`
	// Reason is how a finished game ended ("checkmate"). Optional.
	Reason string `msgpack:"reason,omitempty"`
	// Ply is the number of moves of a finished game.
	Ply int `msgpack:"ply,omitempty"`
}

// ErrInvalidGameNote: AddGameNote was given a note that breaks a rule of
// GameNote.
var ErrInvalidGameNote = errors.New("chat: invalid game note")

// DMRoomID returns the room id of the direct conversation between a and
// b, as the KindDM module computes it with the engine's secret
// (Engine.Secret).
func DMRoomID(secret []byte, a, b string) string { return room.KeyedID(secret, KindDM, a, b) }

// check validates n as a note of the conversation between a and b.
func (n *GameNote) check(a, b string) error {
	member := func(u string, optional bool) bool { return u == a || u == b || optional && u == "" }
	word := func(s string, max int, optional bool) bool {
		if s == "" {
			return optional
		}
		if len(s) > max {
			return false
		}
		for i := 0; i < len(s); i++ {
			c := s[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				return false
			}
		}
		return true
	}
	switch {
	case !word(n.Ref, MaxGameRefLen, false), !word(n.Game, MaxGameWordLen, false),
		!word(n.Nonce, MaxGameWordLen, true), !word(n.Reason, MaxGameWordLen, true):
		return fmt.Errorf("%w: ref, game, nonce or reason", ErrInvalidGameNote)
	case !slices.Contains([]string{GameOffered, GameAccepted, GameDeclined, GameCancelled, GameExpired, GameFinished}, n.State):
		return fmt.Errorf("%w: state %q", ErrInvalidGameNote, n.State)
	case !member(n.From, false), !member(n.By, true), !member(n.Winner, true):
		return fmt.Errorf("%w: from, by and winner must be users of the conversation", ErrInvalidGameNote)
	case n.BaseMS < 0 || n.BaseMS > MaxGameClockMS || n.IncrementMS < 0 || n.IncrementMS > MaxGameClockMS:
		return fmt.Errorf("%w: time control", ErrInvalidGameNote)
	case n.Ply < 0 || n.Ply > MaxGamePly:
		return fmt.Errorf("%w: ply", ErrInvalidGameNote)
	}
	return nil
}

// author is who a note is written by: who declined or cancelled, else the
// challenger.
func (n *GameNote) author() string {
	if n.By != "" {
		return n.By
	}
	return n.From
}

// AddGameNote appends a KindGame entry with note to the direct
// conversation between a and b, whose id is DMRoomID(secret, a, b), and
// returns it as stored. The conversation's members who have it open get
// it as an event named "game", like any entry; a conversation nobody has
// written to yet is created.
//
// The note is written by its author (By, else From): Config.CanMessage
// must let the author message the other user (else ErrNotAllowed, or the
// policy's *codec.Error), and the encoded note counts towards the author's
// Config.DailyBytesPerUser (else ErrDailyBytes). A note with the same
// Ref and State as one already in the conversation is not written again:
// the stored one is returned, so a retry is safe. A note that breaks a
// rule of GameNote fails with ErrInvalidGameNote.
func (c *Chat) AddGameNote(ctx context.Context, roomID, a, b string, note GameNote) (Message, error) {
	if checkUser(a) != nil || checkUser(b) != nil || a == b {
		return Message{}, fmt.Errorf("%w: two distinct users", ErrInvalidGameNote)
	}
	if err := note.check(a, b); err != nil {
		return Message{}, err
	}
	author := note.author()
	other := a
	if author == a {
		other = b
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.OpTimeout)
	defer cancel()
	if err := c.canMessage(ctx, author, other); err != nil {
		return Message{}, err
	}
	e := Message{
		Room:        roomID,
		ID:          newID(),
		Kind:        KindGame,
		From:        author,
		ClientMsgID: "game:" + note.State + ":" + note.Ref,
		Game:        &note,
	}
	raw, err := codec.MarshalData(note)
	if err != nil {
		return Message{}, err
	}
	size := len(raw)
	for range 3 {
		e.Time = nowMillis()
		var out Message
		var err error
		h, r := c.runningDM(roomID)
		switch asker := c.asker(); {
		case h == nil && asker != nil:
			var listened bool
			if out, listened, err = c.askNote(ctx, asker, e, size, a, b); !listened && err == nil {
				out, err = c.addNoteStored(ctx, e, size, a, b)
			}
		case h == nil:
			out, err = c.addNoteStored(ctx, e, size, a, b)
		default:
			if doErr := r.Do(ctx, func() { out, err = h.addNote(ctx, r, e, size, a, b) }); doErr != nil {
				err = doErr
			}
		}
		if errors.Is(err, room.ErrClosed) {
			continue // the room stopped or started meanwhile: try again
		}
		return out, err
	}
	return Message{}, ErrMoved
}

// addNote writes e in a running DM room, on its goroutine.
func (h *conversation) addNote(ctx context.Context, r *room.Room, e Message, size int, a, b string) (Message, error) {
	if !h.known {
		h.info = RoomInfo{ID: h.id, Kind: KindDM, Members: dmMembers(a, b), Created: nowMillis()}
		h.known = true
	}
	if !slices.Equal(h.info.Members, dmMembers(a, b)) {
		return Message{}, fmt.Errorf("%w: the conversation is not between %s and %s", ErrInvalidGameNote, a, b)
	}
	if prev, err := h.c.store.Lookup(ctx, h.id, e.From, e.ClientMsgID); err == nil {
		return prev, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Message{}, storeErr(ctx, "look up game note", err)
	}
	if err := h.c.written.take(e.From, size); err != nil {
		return Message{}, err
	}
	e.Seq = r.Seq() + 1
	w := Write{Entry: e}
	if !h.stored {
		info := h.info.Clone()
		w.Room = &info
	}
	out, err := h.commit(ctx, r, w)
	if err != nil {
		h.c.written.giveBack(e.From, size)
		return Message{}, err
	}
	if m, ok := out.(Message); ok {
		h.c.written.giveBack(e.From, size) // a duplicate
		return m, nil
	}
	return e.Clone(), nil
}

// addNoteStored writes e to the store of a DM room that is not running.
// The room's lock is held, so the room cannot start and load its log
// meanwhile.
func (c *Chat) addNoteStored(ctx context.Context, e Message, size int, a, b string) (Message, error) {
	lock := c.dmLock(e.Room)
	defer lock.Unlock()
	if h, _ := c.runningDM(e.Room); h != nil {
		return Message{}, room.ErrClosed // started meanwhile: the caller retries
	}
	members := dmMembers(a, b)
	info, err := c.store.Room(ctx, e.Room)
	var newRoom *RoomInfo
	switch {
	case errors.Is(err, ErrNotFound):
		newRoom = &RoomInfo{ID: e.Room, Kind: KindDM, Members: members, Created: e.Time}
	case err != nil:
		return Message{}, storeErr(ctx, "load room", err)
	case info.Kind != KindDM || !slices.Equal(info.Members, members):
		return Message{}, fmt.Errorf("%w: the conversation is not between %s and %s", ErrInvalidGameNote, a, b)
	}
	if prev, err := c.store.Lookup(ctx, e.Room, e.From, e.ClientMsgID); err == nil {
		return prev, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Message{}, storeErr(ctx, "look up game note", err)
	}
	st, err := c.store.State(ctx, e.Room)
	if err != nil {
		return Message{}, storeErr(ctx, "load log state", err)
	}
	if err := c.written.take(e.From, size); err != nil {
		return Message{}, err
	}
	e.Seq = st.Head + 1
	stored, dup, err := c.store.Append(ctx, Write{Entry: e, Room: newRoom})
	if err != nil || dup {
		c.written.giveBack(e.From, size)
	}
	if errors.Is(err, ErrSeqConflict) {
		// A room of the conversation wrote meanwhile, on another node:
		// the caller tries again from the new head.
		return Message{}, room.ErrClosed
	}
	if err != nil {
		return Message{}, storeErr(ctx, "append game note", err)
	}
	return stored, nil
}

// dmRoom is a running DM room, for AddGameNote.
type dmRoom struct {
	h *conversation
	r *room.Room
}

// dmLock locks and returns the lock of the DM room id (a room hashes to
// one of the locks): held while the room loads its log and registers, and
// while a game note is written to the store of a room that is not
// running.
func (c *Chat) dmLock(id string) *sync.Mutex {
	l := &c.dmLocks[maphash.String(c.seed, id)%uint64(len(c.dmLocks))]
	l.Lock()
	return l
}

// runningDM returns the running DM room id, if any.
func (c *Chat) runningDM(id string) (*conversation, *room.Room) {
	c.dmMu.Lock()
	defer c.dmMu.Unlock()
	d := c.dmRooms[id]
	return d.h, d.r
}

// registerDM records h as the running room id. The room's lock is held.
func (c *Chat) registerDM(id string, h *conversation, r *room.Room) {
	c.dmMu.Lock()
	defer c.dmMu.Unlock()
	c.dmRooms[id] = dmRoom{h: h, r: r}
}

// unregisterDM forgets h as the running room id, unless a newer room of
// the same id replaced it.
func (c *Chat) unregisterDM(id string, h *conversation) {
	c.dmMu.Lock()
	defer c.dmMu.Unlock()
	if c.dmRooms[id].h == h {
		delete(c.dmRooms, id)
	}
}
