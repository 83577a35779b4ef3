package chat

import (
	"context"
	"errors"
	"slices"
	"strconv"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
)

// groupModule is KindGroup: group conversations with admins, created with
// a random id, or one keyed by the creator and a nonce (createGroupOnce).
type groupModule struct{ c *Chat }

// Kind implements room.Module.
func (groupModule) Kind() string { return KindGroup }

// Resolve implements room.Module. With Create it stores a new group, with
// the user as its admin, and returns its id (with a nonce, a creation
// already stored returns the id of its group); with ID it returns the
// id, and the room checks that the group exists and the user is a
// member.
func (m groupModule) Resolve(ctx context.Context, req *room.ResolveRequest) (string, error) {
	var p GroupParams
	if err := decodeStrict(req.Params, &p); err != nil {
		return "", err
	}
	switch {
	case p.Create != nil && p.ID != "":
		return "", codec.Errorf(codec.CodeBadRequest, "chat: give either id or create")
	case p.Create != nil && p.Create.Nonce != "":
		if len(p.Create.Nonce) > MaxNonceLen {
			return "", codec.Errorf(codec.CodeBadRequest, "chat: nonce must be 1 to %d bytes", MaxNonceLen)
		}
		return m.c.createGroupOnce(ctx, req, *p.Create)
	case p.Create != nil:
		return m.c.createGroup(ctx, req.User, *p.Create, newID())
	case p.ID == "":
		return "", codec.Errorf(codec.CodeBadRequest, "chat: group id required")
	case !isGroupID(p.ID):
		return "", ErrGroupNotFound
	}
	return p.ID, nil
}

// NewHandler implements room.Module.
func (m groupModule) NewHandler(roomID string) room.Handler {
	return newConversation(m.c, roomID, KindGroup)
}

// createGroup validates and stores a new group with id, whose first log
// entry records its creation, and tells the members' inboxes. Every limit
// is checked before anything is stored, and the creation takes no longer
// than Config.OpTimeout (see commit for what a late store means; here the
// group may be stored without its creator being told its id, and it then
// shows in the creator's inbox). A creation with a nonce (its id keyed)
// that finds its group stored, before its checks or when one refuses it
// or its store write, opens that group instead: the same creation ran
// before, here or on another node.
func (c *Chat) createGroup(ctx context.Context, creator string, g CreateGroup, id string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.OpTimeout)
	defer cancel()
	name, err := c.checkGroupName(g.Name)
	if err != nil {
		return "", err
	}
	others, err := checkUsers(g.Members, func(u string) bool { return u == creator })
	if err != nil {
		return "", err
	}
	members := append([]string{creator}, others...)
	if len(members) > c.cfg.MaxGroupMembers {
		return "", ErrGroupFull
	}
	lock := c.creatorLock(creator)
	lock.Lock()
	defer lock.Unlock()
	if g.Nonce != "" {
		// A creation that repeats one already stored opens its group.
		found, err := c.groupStored(ctx, id)
		if err != nil {
			return "", err
		}
		if found {
			return id, nil
		}
	}
	if err := c.mayCreateGroup(ctx, creator, others); err != nil {
		if c.storedMeanwhile(ctx, g, id) {
			return id, nil
		}
		return "", err
	}
	now := nowMillis()
	info := RoomInfo{ID: id, Kind: KindGroup, Name: name, Members: members, Admins: []string{creator}, Created: now, Creator: creator}
	e := Message{
		Room: id, Seq: 1, ID: newID(), Kind: KindMembers, From: creator, Time: now,
		Added: members, Admins: info.Admins, Name: name,
	}
	if ctx.Err() != nil {
		return "", ErrTimeout
	}
	if err := c.written.take(creator, len(name)); err != nil {
		if c.storedMeanwhile(ctx, g, id) {
			return id, nil
		}
		return "", err
	}
	_, _, err = c.store.Append(ctx, Write{Entry: e, Room: &info})
	if ctx.Err() != nil {
		c.cfg.Logger.Warn("chat: the store did not answer in time: the group may be stored", zap.String("user", creator), zap.String("room", id))
		return "", ErrTimeout
	}
	if errors.Is(err, ErrSeqConflict) && g.Nonce != "" {
		// The same creation, from another node or an earlier try whose
		// answer was lost, stored the group first.
		c.written.giveBack(creator, len(name))
		return id, nil
	}
	if err != nil {
		// A store that could not answer (its error coded unavailable)
		// keeps that code, so the client tries again; any other error
		// is internal, without the store's words.
		c.written.giveBack(creator, len(name))
		c.cfg.Logger.Error("chat: store new group", zap.String("user", creator), zap.Error(err))
		return "", storeErr(ctx, "store new group", err)
	}
	c.cfg.Logger.Debug("chat: group created", zap.String("user", creator), zap.String("room", id), zap.Int("members", len(members)))
	for _, u := range members {
		c.notify(u, NewConversation(u, info, LogState{Head: 1, Updated: now}, 0, 0))
	}
	c.announce(ConversationNotice{Room: id, Kind: KindGroup, From: creator, Name: name}, members)
	return id, nil
}

// createGroupOnce runs a creation with a nonce: the group's id is keyed
// by its creator and nonce, so a join that repeats the creation (a rejoin
// after a reconnect, a retry whose answer was lost) finds the group and
// opens it (createGroup), and the room checks membership as for {id}.
func (c *Chat) createGroupOnce(ctx context.Context, req *room.ResolveRequest, g CreateGroup) (string, error) {
	return c.createGroup(ctx, req.User, g, onceGroupID(req, g.Nonce))
}

// mayCreateGroup checks that creator may create one more group, with
// others as its other members: the group limit and the message policy.
func (c *Chat) mayCreateGroup(ctx context.Context, creator string, others []string) error {
	if err := c.checkGroupsCreated(ctx, creator); err != nil {
		return err
	}
	for _, u := range others {
		if err := c.canMessage(ctx, creator, u); err != nil {
			return err
		}
	}
	return nil
}

// storedMeanwhile reports, for a creation with a nonce that a check has
// just refused, whether its group is stored: the same creation may have
// run meanwhile, on another node, and then counts among the user's
// groups (or quota), so it opens rather than being refused.
func (c *Chat) storedMeanwhile(ctx context.Context, g CreateGroup, id string) bool {
	if g.Nonce == "" {
		return false
	}
	found, _ := c.groupStored(ctx, id)
	return found
}

// groupStored reports whether the store holds a group with id.
func (c *Chat) groupStored(ctx context.Context, id string) (bool, error) {
	_, err := c.store.Room(ctx, id)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	}
	c.cfg.Logger.Error("chat: look up group", zap.String("room", id), zap.Error(err))
	return false, storeErr(ctx, "look up group", err)
}

// onceGroupID is the id of the group that req's user creates with
// nonce: a keyed id (room.KeyedID) of the creator and the nonce, cut to
// the length of a random group id (isGroupID). The two are one
// length-prefixed field, so no other creator and nonce give it.
func onceGroupID(req *room.ResolveRequest, nonce string) string {
	field := strconv.Itoa(len(req.User)) + ":" + req.User + nonce
	return req.KeyedID("create", field)[:32]
}

// checkGroupsCreated refuses a creation by user once they have created
// Config.MaxGroupsPerUser groups.
func (c *Chat) checkGroupsCreated(ctx context.Context, user string) error {
	if c.cfg.MaxGroupsPerUser < 0 {
		return nil
	}
	n, err := c.store.GroupsCreated(ctx, user)
	if err != nil {
		c.cfg.Logger.Error("chat: count groups created", zap.String("user", user), zap.Error(err))
		return storeErr(ctx, "count groups created", err)
	}
	if n >= c.cfg.MaxGroupsPerUser {
		return ErrTooManyGroups
	}
	return nil
}

// addMembers adds users to the group: admins only, within the member cap,
// and only users Config.CanMessage lets the admin reach.
func (h *conversation) addMembers(r *room.Room, m *room.Message) (any, error) {
	ctx, cancel := h.c.opCtx()
	defer cancel()
	var req MembersRequest
	if err := h.begin(m, &req); err != nil {
		return nil, err
	}
	if !h.info.IsAdmin(m.User) {
		return nil, ErrNotAdmin
	}
	added, err := checkUsers(req.Members, h.info.HasMember)
	if err != nil {
		return nil, err
	}
	if len(added) == 0 {
		return nil, codec.Errorf(codec.CodeBadRequest, "chat: nobody to add")
	}
	if len(h.info.Members)+len(added) > h.c.cfg.MaxGroupMembers {
		return nil, ErrGroupFull
	}
	for _, u := range added {
		if err := h.c.canMessage(ctx, m.User, u); err != nil {
			return nil, err
		}
	}
	info := h.info.Clone()
	info.Members = append(info.Members, added...)
	e := h.entry(r, m, KindMembers)
	e.Added = added
	return h.commit(ctx, r, Write{Entry: e, Room: &info})
}

// removeMembers removes members from the group: admins only.
func (h *conversation) removeMembers(r *room.Room, m *room.Message) (any, error) {
	ctx, cancel := h.c.opCtx()
	defer cancel()
	var req MembersRequest
	if err := h.begin(m, &req); err != nil {
		return nil, err
	}
	if !h.info.IsAdmin(m.User) {
		return nil, ErrNotAdmin
	}
	removed, err := checkUsers(req.Members, func(u string) bool { return false })
	if err != nil {
		return nil, err
	}
	if len(removed) == 0 {
		return nil, codec.Errorf(codec.CodeBadRequest, "chat: nobody to remove")
	}
	for _, u := range removed {
		if !h.info.HasMember(u) {
			return nil, ErrNotGroupMember
		}
	}
	return h.dropMembers(ctx, r, m, removed)
}

// leaveGroup removes the sender from the group. It takes no payload; an
// empty map or nil is accepted, any field refused.
func (h *conversation) leaveGroup(r *room.Room, m *room.Message) (any, error) {
	ctx, cancel := h.c.opCtx()
	defer cancel()
	var none struct{}
	if err := h.begin(m, &none); err != nil {
		return nil, err
	}
	return h.dropMembers(ctx, r, m, []string{m.User})
}

// dropMembers stores and broadcasts the removal of members, then removes
// their sessions from the room. When the last admin goes, the longest
// standing member left becomes admin.
func (h *conversation) dropMembers(ctx context.Context, r *room.Room, m *room.Message, removed []string) (any, error) {
	gone := func(u string) bool { return slices.Contains(removed, u) }
	info := h.info.Clone()
	info.Members = slices.DeleteFunc(info.Members, gone)
	info.Admins = slices.DeleteFunc(info.Admins, gone)
	e := h.entry(r, m, KindMembers)
	e.Removed = removed
	if len(info.Admins) == 0 && len(info.Members) > 0 {
		info.Admins = []string{info.Members[0]}
	}
	if !slices.Equal(info.Admins, h.info.Admins) {
		e.Admins = slices.Clone(info.Admins)
	}
	reply, dup, err := h.commitDup(ctx, r, Write{Entry: e, Room: &info})
	if err != nil || dup {
		// A duplicate's client message id named an earlier entry, whose
		// reply it gets: nothing was removed now, so nobody is kicked.
		return reply, err
	}
	for _, u := range removed {
		r.Kick(u) // a left frame with reason "kicked", then OnLeave
	}
	return reply, nil
}
