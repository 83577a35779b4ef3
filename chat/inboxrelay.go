package chat

import (
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
)

// Relay carries inbox updates to inbox rooms that run on other nodes of a
// cluster. *engine.Engine implements it: Signal reaches what listens on a
// room id on whichever node runs that room, and an inbox room listens on
// its own id while it runs.
type Relay interface {
	// Secret is the key of room ids, the same on every node: it gives a
	// user's inbox room id.
	Secret() []byte
	// Listen calls fn with each event Signal sends to room, from any
	// node, until stop is called. fn must not block.
	Listen(room string, fn func(event string, data []byte)) (stop func(), err error)
	// Signal sends event and data to the listener of room, wherever it
	// runs, without waiting for it.
	Signal(room, event string, data []byte) error
}

// inboxID returns the room id of user's inbox, as the inbox module
// resolves it.
func (c *Chat) inboxID(user string) string {
	return room.KeyedID(c.cfg.Relay.Secret(), KindInbox, user)
}

// relayInbox sends conv to user's inbox on whichever node runs it. The
// update is lost if that node does not take it: the next join's snapshot
// has the current state.
func (c *Chat) relayInbox(user string, conv Conversation) {
	raw, err := codec.MarshalData(&conv)
	if err == nil {
		err = c.cfg.Relay.Signal(c.inboxID(user), EventInbox, raw)
	}
	if err != nil {
		c.cfg.Logger.Debug("chat: relay an inbox update", zap.String("user", user), zap.Error(err))
	}
}

// listenInbox makes user's inbox room, open on this node as ib, take the
// updates relayed from other nodes, until the returned function is
// called. Without a Relay it does nothing.
func (c *Chat) listenInbox(ib *inbox) func() {
	if c.cfg.Relay == nil {
		return func() {}
	}
	stop, err := c.cfg.Relay.Listen(ib.room.ID(), func(event string, data []byte) {
		if event != EventInbox {
			return
		}
		var conv Conversation
		if err := codec.UnmarshalData(data, &conv); err != nil || conv.Room == "" {
			return
		}
		c.queueInbox(ib, conv)
	})
	if err != nil {
		c.cfg.Logger.Warn("chat: listen for relayed inbox updates", zap.String("user", ib.user), zap.Error(err))
		return func() {}
	}
	return stop
}
