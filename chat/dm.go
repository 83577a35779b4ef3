package chat

import (
	"context"

	"github.com/parlorhq/parlor/room"
)

// dmModule is KindDM: a direct conversation between two users, whose room
// id is the keyed hash of the two user ids.
type dmModule struct{ c *Chat }

// Kind implements room.Module.
func (dmModule) Kind() string { return KindDM }

// Resolve implements room.Module: the room id is derived from the
// authenticated user and the target, after Config.CanMessage allowed it.
// A third user can never address a DM: their own id is always one of the
// two hashed.
func (m dmModule) Resolve(ctx context.Context, req *room.ResolveRequest) (string, error) {
	var p DMParams
	if err := decodeStrict(req.Params, &p); err != nil {
		return "", err
	}
	if err := checkUser(p.With); err != nil {
		return "", err
	}
	if p.With == req.User {
		return "", ErrSelf
	}
	if err := m.c.canMessage(ctx, req.User, p.With); err != nil {
		return "", err
	}
	return req.KeyedID(req.User, p.With), nil
}

// NewHandler implements room.Module.
func (m dmModule) NewHandler(roomID string) room.Handler {
	return newConversation(m.c, roomID, KindDM)
}

// dmMembers returns the two users of a direct conversation in a stable
// order.
func dmMembers(a, b string) []string {
	if b < a {
		a, b = b, a
	}
	return []string{a, b}
}
