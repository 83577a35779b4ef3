package chat

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
)

// OpPage, sent to an inbox, returns a page of older conversations:
// InboxPageRequest, replied with InboxSnapshot.
const OpPage = "page"

// InboxPageRequest is the payload of OpPage.
type InboxPageRequest struct {
	// Before is where the page starts: the updated and room of the last
	// conversation the client holds (see CursorOf). The page holds the
	// conversations after it in inbox order, which are older. Zero: from
	// the top, as OpRefresh.
	Before InboxCursor `msgpack:"before"`
	// Limit is the most conversations wanted. Zero, or more than
	// Config.InboxLimit, means Config.InboxLimit.
	Limit int `msgpack:"limit"`
}

// inboxModule is KindInbox: one room per user, whose id is the keyed hash
// of the user. Its snapshot lists the user's conversations, and it
// broadcasts an EventInbox whenever one of them changes.
type inboxModule struct{ c *Chat }

// Kind implements room.Module.
func (inboxModule) Kind() string { return KindInbox }

// Resolve implements room.Module: the room id is derived from the
// authenticated user alone, so nobody can address another user's inbox.
// Join parameters are ignored.
func (inboxModule) Resolve(_ context.Context, req *room.ResolveRequest) (string, error) {
	return req.KeyedID(req.User), nil
}

// NewHandler implements room.Module.
func (m inboxModule) NewHandler(string) room.Handler { return &inboxHandler{c: m.c} }

// inboxHandler is an inbox room. Conversation rooms reach it through the
// Chat's registry of open inboxes.
type inboxHandler struct {
	room.BaseHandler
	c     *Chat
	owner string
	ib    *inbox
}

// OnJoin admits the owner only and returns InboxSnapshot. The inbox is
// registered before the conversations are read, so no change made after
// the read can be missed.
func (h *inboxHandler) OnJoin(r *room.Room, j *room.Join) (any, error) {
	if h.owner == "" {
		h.owner = j.User // the id was derived from this user alone
	} else if j.User != h.owner {
		return nil, ErrNotMember
	}
	if h.ib == nil {
		// The inbox was closed (its owner's last session left) or never
		// open: the updates made meanwhile were never broadcast, so a
		// resume across the gap must get this snapshot, not an empty
		// replay. A new epoch makes it so.
		r.SetEpoch(newID())
		h.ib = h.c.openInbox(h.owner, r)
	}
	return h.list(InboxCursor{}, 0)
}

// OnMessage answers OpRefresh and OpPage.
func (h *inboxHandler) OnMessage(_ *room.Room, m *room.Message) (any, error) {
	switch m.Event {
	case OpRefresh:
		return h.list(InboxCursor{}, 0)
	case OpPage:
		var req InboxPageRequest
		if err := decodeStrict(m.Data, &req); err != nil {
			return nil, err
		}
		return h.list(req.Before, req.Limit)
	}
	return nil, room.ErrUnknownEvent
}

// OnLeave runs when the owner's last session leaves: nobody needs updates.
func (h *inboxHandler) OnLeave(*room.Room, string, room.LeaveReason) { h.close() }

// OnDispose unregisters the inbox.
func (h *inboxHandler) OnDispose(*room.Room, room.DisposeReason) { h.close() }

func (h *inboxHandler) close() {
	if h.ib != nil {
		h.c.closeInbox(h.ib)
		h.ib = nil
	}
}

// list returns the page of the owner's conversations after cursor, at
// most limit (InboxLimit when zero or larger), reading one more to tell
// whether there are more.
func (h *inboxHandler) list(cursor InboxCursor, limit int) (any, error) {
	if limit <= 0 || limit > h.c.cfg.InboxLimit {
		limit = h.c.cfg.InboxLimit
	}
	ctx, cancel := h.c.opCtx()
	defer cancel()
	list, err := h.c.store.ConversationsBefore(ctx, h.owner, cursor, limit+1, h.c.cfg.UnreadCap)
	if err != nil {
		return nil, fmt.Errorf("chat: load conversations: %w", err)
	}
	more := len(list) > limit
	if more {
		list = list[:limit]
	}
	return InboxSnapshot{Conversations: list, More: more}, nil
}

// inbox is an open inbox room and the updates waiting for it. Updates are
// delivered by one goroutine at a time per inbox, which posts them into
// the inbox room with Room.Do, so a conversation room never waits for an
// inbox. Only the newest state of each conversation is kept, so a burst
// of messages costs one update.
type inbox struct {
	user string
	room *room.Room

	mu      sync.Mutex
	pending map[string]Conversation // by room id
	running bool

	stopRelay func() // ends the relayed updates (inboxrelay.go)
}

// openInbox registers r as user's inbox, for the conversations of this
// node and, with a Relay, of the others.
func (c *Chat) openInbox(user string, r *room.Room) *inbox {
	ib := &inbox{user: user, room: r, pending: make(map[string]Conversation)}
	c.inboxMu.Lock()
	c.inboxes[user] = ib
	c.inboxMu.Unlock()
	ib.stopRelay = c.listenInbox(ib)
	return ib
}

// closeInbox unregisters ib, unless another inbox replaced it.
func (c *Chat) closeInbox(ib *inbox) {
	ib.stopRelay()
	c.inboxMu.Lock()
	if c.inboxes[ib.user] == ib {
		delete(c.inboxes, ib.user)
	}
	c.inboxMu.Unlock()
}

// hasInbox reports whether user has an open inbox.
func (c *Chat) hasInbox(user string) bool {
	c.inboxMu.RLock()
	defer c.inboxMu.RUnlock()
	return c.inboxes[user] != nil
}

// notify queues conv for user's inbox when it is open on this node, or
// relays it to the node that runs it (Config.Relay). It never blocks on
// the inbox room.
func (c *Chat) notify(user string, conv Conversation) {
	c.inboxMu.RLock()
	ib := c.inboxes[user]
	c.inboxMu.RUnlock()
	switch {
	case ib != nil:
		c.queueInbox(ib, conv)
	case c.cfg.Relay != nil:
		c.relayInbox(user, conv)
	}
}

// queueInbox queues conv for the open inbox ib, and starts its delivery
// unless it runs.
func (c *Chat) queueInbox(ib *inbox, conv Conversation) {
	ib.mu.Lock()
	ib.pending[conv.Room] = conv
	start := !ib.running
	ib.running = true
	ib.mu.Unlock()
	if start {
		go ib.deliver(c.cfg.OpTimeout)
	}
}

// deliver broadcasts pending updates in the inbox room until none are
// left. If the room is gone, or does not take a batch within timeout, the
// batch and the updates queued behind it are dropped: the next join's
// snapshot has the current state.
func (ib *inbox) deliver(timeout time.Duration) {
	for {
		ib.mu.Lock()
		if len(ib.pending) == 0 {
			ib.running = false
			ib.mu.Unlock()
			return
		}
		batch := make([]Conversation, 0, len(ib.pending))
		for _, conv := range ib.pending {
			batch = append(batch, conv)
		}
		clear(ib.pending)
		ib.mu.Unlock()
		// Oldest first, so that the newest conversation ends on top.
		slices.SortFunc(batch, func(a, b Conversation) int { return cmp.Compare(a.Updated, b.Updated) })
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		err := ib.room.Do(ctx, func() {
			for _, conv := range batch {
				if _, err := ib.room.Broadcast(EventInbox, conv); err != nil {
					ib.room.Logger().Error("chat: inbox update", zap.String("user", ib.user), zap.Error(err))
				}
			}
		})
		cancel()
		if err != nil {
			// A Do that failed never ran its function: the batch is
			// really dropped, not broadcast late.
			ib.room.Logger().Debug("chat: inbox updates dropped", zap.String("user", ib.user), zap.Error(err))
			ib.mu.Lock()
			clear(ib.pending)
			ib.running = false
			ib.mu.Unlock()
			return
		}
	}
}
