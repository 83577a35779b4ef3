package chat

import (
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
)

// Replay implements room.Replayer: a client that resumes after missing
// more than the room's replay buffer holds gets the missed log entries
// from the store, as the events that broadcast them. Messages come in
// their current state (an edited message shows its new text, and the edit
// entry follows in its place). At most Config.ReplayLimit entries are
// replayed.
func (h *conversation) Replay(r *room.Room, since uint64, emit func(seq uint64, event string, data []byte)) bool {
	head := r.Seq()
	if since >= head {
		return since == head
	}
	missed := head - since
	if h.c.cfg.ReplayLimit < 0 || missed > uint64(h.c.cfg.ReplayLimit) {
		return false
	}
	ctx, cancel := h.c.opCtx()
	defer cancel()
	entries, err := h.c.store.History(ctx, h.id, head+1, int(missed))
	if err != nil {
		r.Logger().Warn("chat: replay from the store", zap.Uint64("since", since), zap.Error(err))
		return false
	}
	for _, m := range entries {
		raw, err := codec.MarshalData(m)
		if err != nil {
			r.Logger().Error("chat: encode a replayed entry", zap.Uint64("seq", m.Seq), zap.Error(err))
			return false
		}
		emit(m.Seq, m.Kind, raw)
	}
	return true
}

var _ room.Replayer = (*conversation)(nil)
