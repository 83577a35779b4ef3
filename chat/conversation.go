package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
	"golang.org/x/time/rate"
)

// conversation is the room handler of both KindDM and KindGroup rooms. It
// owns the room's view of its stored state; every field is used on the
// room goroutine only.
//
// Every ordered broadcast of the room is a log entry appended to the store
// first, with the seq the broadcast then gets (the room's seq + 1), so the
// store's head and the room's seq never differ. Receipts, typing and
// presence are ephemeral broadcasts (seq 0).
type conversation struct {
	room.BaseHandler
	c    *Chat
	id   string
	kind string

	info   RoomInfo // members, admins, name
	known  bool     // info holds the members (loaded, or a DM's first join)
	stored bool     // the room's record is in the store

	last     *Message // newest message; replaced, never modified
	updated  int64    // LogState.Updated
	reads    map[string]uint64
	settings map[string]Settings // the users' own settings, none zero
	unread   map[string]int      // unread counts of users whose inbox is open
	limits   map[string]*rate.Limiter
	typing   map[string]*typist
	payload  strictPayload // decodes requests
	// stopNotes ends a DM room's listening for the game notes asked of it
	// from other nodes (gamenoteask.go).
	stopNotes func()
}

func newConversation(c *Chat, id, kind string) *conversation {
	return &conversation{
		c:        c,
		id:       id,
		kind:     kind,
		reads:    make(map[string]uint64),
		settings: make(map[string]Settings),
		unread:   make(map[string]int),
		limits:   make(map[string]*rate.Limiter),
		typing:   make(map[string]*typist),
	}
}

// errNoConversation: the id names a room of another kind.
var errNoConversation = &codec.Error{Code: codec.CodeNotFound, Message: "chat: no such conversation"}

// OnCreate loads the room's record, log state and receipts, and continues
// the stored seq.
func (h *conversation) OnCreate(r *room.Room) error {
	if h.kind == KindDM {
		// AddGameNote writes to the store of a DM room that is not
		// running under this lock: the log is read after such a write.
		lock := h.c.dmLock(h.id)
		defer lock.Unlock()
		if err := h.load(r); err != nil {
			return err
		}
		h.c.registerDM(h.id, h, r)
		h.stopNotes = h.listenNotes(r)
		return nil
	}
	return h.load(r)
}

// OnDispose unregisters a DM room, and ends its listening for game notes.
func (h *conversation) OnDispose(*room.Room, room.DisposeReason) {
	if h.kind == KindDM {
		h.c.unregisterDM(h.id, h)
		if h.stopNotes != nil {
			h.stopNotes()
		}
	}
}

// load loads the room's record, log state and receipts.
func (h *conversation) load(r *room.Room) error {
	ctx, cancel := h.c.opCtx()
	defer cancel()
	info, err := h.c.store.Room(ctx, h.id)
	switch {
	case err == nil && info.Kind != h.kind:
		return errNoConversation
	case err == nil:
		h.info, h.known, h.stored = info, true, true
	case !errors.Is(err, ErrNotFound):
		return storeErr(ctx, "load room", err)
	case h.kind == KindGroup:
		return ErrGroupNotFound
	}
	// A direct conversation nobody has written to has no record yet: its
	// two users come with the first join.
	st, err := h.c.store.State(ctx, h.id)
	if err != nil {
		return storeErr(ctx, "load log state", err)
	}
	reads, err := h.c.store.Reads(ctx, h.id)
	if err != nil {
		return storeErr(ctx, "load receipts", err)
	}
	settings, err := h.c.store.Settings(ctx, h.id)
	if err != nil {
		return storeErr(ctx, "load settings", err)
	}
	r.SetSeq(st.Head)
	// The log is durable, so the room's seqs are too: the store's epoch
	// lets clients resume across room and server restarts.
	r.SetEpoch(h.c.store.Epoch())
	h.last, h.updated = st.Last, st.Updated
	for u, seq := range reads {
		h.reads[u] = seq
	}
	for u, s := range settings {
		h.settings[u] = s
	}
	return nil
}

// OnJoin admits members only and returns the snapshot.
func (h *conversation) OnJoin(r *room.Room, j *room.Join) (any, error) {
	if h.kind == KindDM {
		var p DMParams
		if err := h.payload.decode(j.Params, &p); err != nil {
			return nil, err
		}
		if !h.known {
			// Only a join that resolved here reaches this room, and
			// Resolve hashed exactly these two users into its id.
			if checkUser(p.With) != nil || p.With == j.User {
				return nil, h.refuse(r, j.User)
			}
			h.info = RoomInfo{ID: h.id, Kind: KindDM, Members: dmMembers(j.User, p.With), Created: nowMillis()}
			h.known = true
		}
		if !h.info.HasMember(p.With) {
			return nil, h.refuse(r, j.User)
		}
	}
	if !h.info.HasMember(j.User) {
		return nil, h.refuse(r, j.User)
	}
	snap := Snapshot{
		Kind:     h.kind,
		Messages: []Message{},
		Head:     r.Seq(),
		More:     r.Seq() > 0,
		Reads:    h.reads, // encoded before the hook's caller returns
		Online:   h.online(r, j.User),
		Muted:    h.settings[j.User].Muted,
		Hidden:   h.settings[j.User].Hidden,
	}
	if h.kind == KindDM {
		snap.With = h.other(j.User)
	} else {
		info := h.info.Clone()
		snap.Group = &info
	}
	if n := h.c.cfg.HistoryOnJoin; n > 0 && r.Seq() > 0 {
		ctx, cancel := h.c.opCtx()
		defer cancel()
		msgs, err := h.c.store.History(ctx, h.id, 0, n)
		if err != nil {
			return nil, storeErr(ctx, "load history", err)
		}
		snap.Messages = msgs
		snap.More = len(msgs) > 0 && msgs[0].Seq > 1
	}
	if !j.Rejoin {
		h.broadcastPresence(r, j.User, true)
	}
	return snap, nil
}

// refuse logs a refused join and returns the error for it.
func (h *conversation) refuse(r *room.Room, user string) error {
	r.Logger().Debug("chat: join refused: not a member", zap.String("user", user))
	return ErrNotMember
}

// OnLeave runs when a user's last session leaves: their typing indicator
// stops and they go offline.
func (h *conversation) OnLeave(r *room.Room, user string, _ room.LeaveReason) {
	h.stopTyping(r, user)
	h.forgetTyping(user)
	h.broadcastPresence(r, user, false)
}

// OnMessage dispatches a member's request. A write refused before the
// store saw it may be the retry of one the store holds: see retried.
func (h *conversation) OnMessage(r *room.Room, m *room.Message) (any, error) {
	reply, err := h.dispatch(r, m)
	if err != nil && m.ClientMsgID != "" && logsEntry(m.Event) && !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrMoved) {
		reply, err = h.retried(m, err)
		if stored, ok := reply.(Message); ok {
			h.ahead(r, stored)
		}
	}
	return reply, err
}

// ahead stops the room when stored, the entry the store holds for a
// request's client message id, is past the room's seq: an earlier try
// stored it but its answer was lost (a connection that broke after the
// commit), so the room never broadcast it, and its next write would
// meet a seq conflict. Its members join again and get the entry from the
// store; the request is answered with it.
func (h *conversation) ahead(r *room.Room, stored Message) {
	if stored.Seq <= r.Seq() {
		return
	}
	r.Logger().Warn("chat: the store holds an entry the room never applied: stopping it",
		zap.Uint64("seq", stored.Seq), zap.Uint64("room_seq", r.Seq()), zap.String("user", stored.From))
	r.Shutdown()
}

// dispatch runs a member's request. A session whose user the
// conversation no longer lists (removed, or left the group, with its kick
// still to come) is refused.
func (h *conversation) dispatch(r *room.Room, m *room.Message) (any, error) {
	if h.known && !h.info.HasMember(m.User) {
		return nil, ErrNotMember
	}
	switch m.Event {
	case OpSend:
		return h.send(r, m)
	case OpEdit:
		return h.edit(r, m)
	case OpDelete:
		return h.delete(r, m)
	case OpHistory:
		return h.history(r, m)
	case OpRead:
		return h.read(r, m)
	case OpTyping:
		return h.typingRequest(r, m)
	case OpInfo:
		return Info{Room: h.info.Clone(), Online: r.Members()}, nil
	case OpMute:
		return h.mute(r, m)
	case OpHide:
		return h.hide(r, m)
	}
	if h.kind == KindGroup {
		switch m.Event {
		case OpAddMembers:
			return h.addMembers(r, m)
		case OpRemoveMembers:
			return h.removeMembers(r, m)
		case OpLeaveGroup:
			return h.leaveGroup(r, m)
		case OpPromote:
			return h.promote(r, m)
		case OpDemote:
			return h.demote(r, m)
		case OpRename:
			return h.rename(r, m)
		}
	}
	return nil, room.ErrUnknownEvent
}

// send stores and broadcasts a message.
func (h *conversation) send(r *room.Room, m *room.Message) (any, error) {
	ctx, cancel := h.c.opCtx()
	defer cancel()
	var req SendRequest
	if err := h.begin(m, &req); err != nil {
		return nil, err
	}
	text, err := h.c.checkText(req.Text)
	if err != nil {
		return nil, err
	}
	if h.kind == KindDM {
		if err := h.c.canMessage(ctx, m.User, h.other(m.User)); err != nil {
			return nil, err
		}
	}
	if text, err = h.c.moderate(ctx, &Draft{Room: h.id, Kind: h.kind, From: m.User, Text: text}); err != nil {
		return nil, err
	}
	e := h.entry(r, m, KindMessage)
	e.Text = text
	w := Write{Entry: e, Read: &Receipt{User: m.User, Seq: e.Seq}}
	if !h.stored {
		info := h.info.Clone()
		w.Room = &info
	}
	return h.commit(ctx, r, w)
}

// edit stores and broadcasts an edit of one of the user's messages.
func (h *conversation) edit(r *room.Room, m *room.Message) (any, error) {
	ctx, cancel := h.c.opCtx()
	defer cancel()
	var req EditRequest
	if err := h.begin(m, &req); err != nil {
		return nil, err
	}
	text, err := h.c.checkText(req.Text)
	if err != nil {
		return nil, err
	}
	if h.kind == KindDM {
		if err := h.c.canMessage(ctx, m.User, h.other(m.User)); err != nil {
			return nil, err
		}
	}
	target, err := h.ownMessage(ctx, req.Seq, m.User)
	if err != nil {
		return nil, err
	}
	if text, err = h.c.moderate(ctx, &Draft{Room: h.id, Kind: h.kind, From: m.User, Text: text, Edit: target.Seq}); err != nil {
		return nil, err
	}
	e := h.entry(r, m, KindEdit)
	e.Text, e.Target = text, target.Seq
	target.Text, target.Edited = text, e.Time
	return h.commit(ctx, r, Write{Entry: e, Update: &target})
}

// delete stores and broadcasts the deletion of one of the user's
// messages. The stored message keeps no text.
func (h *conversation) delete(r *room.Room, m *room.Message) (any, error) {
	ctx, cancel := h.c.opCtx()
	defer cancel()
	var req DeleteRequest
	if err := h.begin(m, &req); err != nil {
		return nil, err
	}
	target, err := h.ownMessage(ctx, req.Seq, m.User)
	if err != nil {
		return nil, err
	}
	e := h.entry(r, m, KindDelete)
	e.Target = target.Seq
	target.Text, target.Deleted = "", true
	return h.commit(ctx, r, Write{Entry: e, Update: &target})
}

// ownMessage loads message seq and checks that user wrote it and that it
// is not deleted.
func (h *conversation) ownMessage(ctx context.Context, seq uint64, user string) (Message, error) {
	target, err := h.c.store.Get(ctx, h.id, seq)
	if errors.Is(err, ErrNotFound) {
		return Message{}, ErrMessageNotFound
	}
	if err != nil {
		return Message{}, storeErr(ctx, "load message", err)
	}
	if target.Kind != KindMessage || target.Deleted {
		return Message{}, ErrMessageNotFound
	}
	if target.From != user {
		return Message{}, ErrNotYours
	}
	return target, nil
}

// history returns a page of older entries.
func (h *conversation) history(r *room.Room, m *room.Message) (any, error) {
	var req HistoryRequest
	if err := h.payload.decode(m.Data, &req); err != nil {
		return nil, err
	}
	limit := req.Limit
	if limit <= 0 || limit > h.c.cfg.PageLimit {
		limit = h.c.cfg.PageLimit
	}
	before := req.Before
	if before == 0 || before > r.Seq()+1 {
		before = r.Seq() + 1
	}
	ctx, cancel := h.c.opCtx()
	defer cancel()
	msgs, err := h.c.store.History(ctx, h.id, before, limit)
	if err != nil {
		return nil, storeErr(ctx, "load history", err)
	}
	return HistoryPage{Messages: msgs, More: len(msgs) > 0 && msgs[0].Seq > 1}, nil
}

// read moves the user's read receipt forward, stores it and tells the
// other members.
func (h *conversation) read(r *room.Room, m *room.Message) (any, error) {
	var req ReadRequest
	if err := h.payload.decode(m.Data, &req); err != nil {
		return nil, err
	}
	seq := min(req.Seq, r.Seq())
	if cur := h.reads[m.User]; seq <= cur {
		return ReadReply{Seq: cur}, nil
	}
	ctx, cancel := h.c.opCtx()
	defer cancel()
	got, err := h.c.store.SetRead(ctx, h.id, m.User, seq)
	if err == nil && ctx.Err() != nil {
		// Late: the receipt may be stored, but nobody is told. Receipts
		// only move forward, so the next one puts things right.
		err = ctx.Err()
	}
	if err != nil {
		return nil, storeErr(ctx, "store receipt", err)
	}
	h.reads[m.User] = got
	if got >= r.Seq() {
		h.unread[m.User] = 0
	} else {
		delete(h.unread, m.User) // recounted when needed
	}
	_ = r.BroadcastEphemeral(EventRead, ReadEvent{User: m.User, Seq: got})
	h.notify(ctx, r, m.User)
	return ReadReply{Seq: got}, nil
}

// begin starts a write (send, edit, delete, a group's add, remove,
// leave, promote, demote and rename, and a user's mute and hide) from m:
// it applies the rate limit and decodes m's payload into req, refusing
// fields req does not have.
//
// A retry of a write the store already holds (same client message id,
// from a client that did not get its reply, possibly before a restart) is
// answered with the stored entry whatever the rate limit and the checks
// say, without a look-up of its own on the way of a new write: the store's
// Append answers a retry that passes them (as a duplicate, see commit),
// and OnMessage looks up the id of one they refuse (retried). Mute and
// hide store no log entry: they set a value, so a retry sets it again.
func (h *conversation) begin(m *room.Message, req any) error {
	if err := h.allow(m.User); err != nil {
		return err
	}
	if strings.HasPrefix(m.ClientMsgID, "game:") {
		// The ids of game notes (AddGameNote): a client may not take them.
		return codec.Errorf(codec.CodeBadRequest, "chat: client message ids starting with game: are reserved")
	}
	return h.payload.decode(m.Data, req)
}

// logsEntry reports whether a request of event appends a log entry that
// carries its client message id: the writes a retry of is answered with
// the stored entry.
func logsEntry(event string) bool {
	switch event {
	case OpSend, OpEdit, OpDelete, OpAddMembers, OpRemoveMembers, OpLeaveGroup, OpPromote, OpDemote, OpRename:
		return true
	}
	return false
}

// retried answers a write that was refused with err before the store saw
// it: with the stored entry if m is the retry of one the store holds
// (m's author wrote an entry with m's client message id), else with err.
// The look-up costs only refused writes.
func (h *conversation) retried(m *room.Message, err error) (any, error) {
	ctx, cancel := h.c.opCtx()
	defer cancel()
	stored, lerr := h.c.store.Lookup(ctx, h.id, m.User, m.ClientMsgID)
	switch {
	case lerr == nil:
		return stored, nil
	case errors.Is(lerr, ErrNotFound):
		return nil, err
	}
	return nil, storeErr(ctx, "look up client message id", lerr)
}

// allow applies the per-user write rate limit.
func (h *conversation) allow(user string) error {
	if h.c.cfg.MessageRate < 0 {
		return nil
	}
	l := h.limits[user]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(h.c.cfg.MessageRate), h.c.cfg.MessageBurst)
		h.limits[user] = l
	}
	if !l.Allow() {
		return ErrRateLimited
	}
	return nil
}

// entry starts the next log entry, written by m's sender.
func (h *conversation) entry(r *room.Room, m *room.Message, kind string) Message {
	return Message{
		Room:        h.id,
		Seq:         r.Seq() + 1,
		ID:          newID(),
		Kind:        kind,
		From:        m.User,
		Time:        nowMillis(),
		ClientMsgID: m.ClientMsgID,
	}
}

// commit stores w, then broadcasts its entry with the seq it was stored
// with, and returns the encoded entry as the reply. A duplicate (same
// client message id) is returned as stored and not broadcast again. The
// entry's text (and a rename's name) counts towards its author's
// Config.DailyBytesPerUser, unless the store refuses it or already holds
// it.
//
// The request's deadline (Config.OpTimeout) decides what a slow store
// means. If it has passed before the append, nothing is stored and the
// request fails with ErrTimeout. If it passes while the store appends, the
// store may or may not keep the entry, whatever it answers: the request
// fails with ErrTimeout, the entry is not broadcast, and the room closes,
// so that the room its members join next loads the log as the store has
// it. A retry with the same client message id then returns the stored
// entry, or stores it if the store did not.
func (h *conversation) commit(ctx context.Context, r *room.Room, w Write) (any, error) {
	reply, _, err := h.commitDup(ctx, r, w)
	return reply, err
}

// commitDup is commit, and reports whether w's client message id named an
// entry stored before, whose reply it returns: nothing new was stored.
func (h *conversation) commitDup(ctx context.Context, r *room.Room, w Write) (any, bool, error) {
	// Encode first: once the entry is stored, the broadcast cannot fail.
	raw, err := codec.MarshalData(w.Entry)
	if err != nil {
		return nil, false, err
	}
	w.Encoded = raw
	if ctx.Err() != nil {
		return nil, false, ErrTimeout
	}
	author, size := w.Entry.From, len(w.Entry.Text)+len(w.Entry.Name)
	if err := h.c.written.take(author, size); err != nil {
		return nil, false, err
	}
	stored, dup, err := h.c.store.Append(ctx, w)
	if ctx.Err() != nil {
		r.Logger().Warn("chat: the store did not answer in time: closing the room, whose log may have moved",
			zap.Uint64("seq", w.Entry.Seq), zap.String("user", author), zap.Error(err))
		r.Close()
		return nil, false, ErrTimeout
	}
	if err != nil || dup {
		h.c.written.giveBack(author, size)
	}
	if errors.Is(err, ErrSeqConflict) {
		// Another node owns the room now. Shutdown, not Close: members
		// leave with reason shutdown, so that clients keep the room and
		// join it again where it runs next.
		r.Logger().Error("chat: the stored log moved under the room: stopping it",
			zap.Uint64("seq", w.Entry.Seq), zap.String("user", author))
		r.Shutdown()
		return nil, false, ErrMoved
	}
	if err != nil {
		return nil, false, fmt.Errorf("chat: append %s: %w", w.Entry.Kind, err)
	}
	if dup {
		h.ahead(r, stored)
		return stored, true, nil
	}
	r.BroadcastRaw(w.Entry.Kind, raw)
	h.apply(ctx, r, w)
	return raw, false, nil
}

// apply updates the room's view after w was stored and broadcast, updates
// the members' inboxes and calls Config.AfterStore.
func (h *conversation) apply(ctx context.Context, r *room.Room, w Write) {
	e := w.Entry
	if w.Room != nil {
		h.info, h.known, h.stored = w.Room.Clone(), true, true
	}
	if w.Read != nil && w.Read.Seq > h.reads[w.Read.User] {
		h.reads[w.Read.User] = w.Read.Seq
	}
	changed := true // whether the members' inbox entries changed
	switch e.Kind {
	case KindMessage:
		last := e.Clone()
		h.last, h.updated = &last, e.Time
		for u, n := range h.unread {
			switch {
			case u == e.From:
				h.unread[u] = 0
			case n < h.c.cfg.UnreadCap:
				h.unread[u] = n + 1
			}
		}
		h.stopTyping(r, e.From)
		h.unhideAll()
	case KindEdit, KindDelete:
		changed = e.Kind == KindDelete
		if h.last != nil && h.last.Seq == w.Update.Seq {
			last := w.Update.Clone()
			h.last, changed = &last, true
		}
		if e.Kind == KindDelete {
			clear(h.unread) // recounted when needed
		}
	case KindMembers:
		h.updated = e.Time
		for _, u := range e.Removed {
			delete(h.unread, u)
		}
		h.unhideAll()
	}
	if changed {
		for _, u := range h.info.Members {
			h.notify(ctx, r, u)
		}
	}
	for _, u := range e.Removed {
		h.c.notify(u, Conversation{Room: h.id, Kind: h.kind, Name: h.info.Name, Removed: true})
	}
	h.announce(w)
	if h.c.cfg.AfterStore != nil {
		h.afterStore(ctx, r, Stored{
			Entry:   e.Clone(),
			Kind:    h.kind,
			Members: slices.Clone(h.info.Members),
			Offline: h.offline(r),
		})
	}
}

// afterStore runs Config.AfterStore. A panic there is logged and goes no
// further: the entry is stored and broadcast, and what follows it (the
// removed members' kick, the author's ack) must still happen.
func (h *conversation) afterStore(ctx context.Context, r *room.Room, s Stored) {
	defer func() {
		if v := recover(); v != nil {
			r.Logger().Error("chat: panic in Config.AfterStore", zap.Any("panic", v), zap.Stack("stack"))
		}
	}()
	h.c.cfg.AfterStore(ctx, s)
}

// notify sends user's inbox, if open, the conversation's new state,
// unless the user hid it. With a Relay the inbox may be open on another
// node: every member's state is sent, and their unread counts kept.
func (h *conversation) notify(ctx context.Context, r *room.Room, user string) {
	if h.settings[user].Hidden || (h.c.cfg.Relay == nil && !h.c.hasInbox(user)) {
		return
	}
	n, ok := h.unread[user]
	if !ok {
		var err error
		if n, err = h.c.store.Unread(ctx, h.id, user, h.c.cfg.UnreadCap); err != nil {
			r.Logger().Warn("chat: count unread", zap.String("user", user), zap.Error(err))
			return
		}
		h.unread[user] = n
	}
	st := LogState{Head: r.Seq(), Last: h.last, Updated: h.updated}
	conv := NewConversation(user, h.info, st, h.reads[user], n)
	conv.Muted = h.settings[user].Muted
	h.c.notify(user, conv)
}

// other returns the other user of a direct conversation.
func (h *conversation) other(user string) string {
	for _, u := range h.info.Members {
		if u != user {
			return u
		}
	}
	return ""
}

// online lists the members in the room, with the joiner.
func (h *conversation) online(r *room.Room, joiner string) []string {
	list := r.Members()
	if !slices.Contains(list, joiner) {
		list = append(list, joiner)
	}
	slices.Sort(list)
	return list
}

// offline lists the members with no session in the room who have not
// muted it.
func (h *conversation) offline(r *room.Room) []string {
	var out []string
	for _, u := range h.info.Members {
		if !r.IsMember(u) && !h.settings[u].Muted {
			out = append(out, u)
		}
	}
	return out
}

// broadcastPresence tells the other members that user came or went.
func (h *conversation) broadcastPresence(r *room.Room, user string, online bool) {
	_ = r.BroadcastEphemeral(EventPresence, PresenceEvent{User: user, Online: online}, user)
}
