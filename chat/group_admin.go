package chat

import (
	"slices"
	"strings"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
)

// promote makes members of the group admins: admins only. Listed users
// who are admins already are skipped; a listed user who is not a member
// is not_found.
func (h *conversation) promote(r *room.Room, m *room.Message) (any, error) {
	ctx, cancel := h.c.opCtx()
	defer cancel()
	var req MembersRequest
	if err := h.begin(m, &req); err != nil {
		return nil, err
	}
	if !h.info.IsAdmin(m.User) {
		return nil, ErrNotAdmin
	}
	promoted, err := checkUsers(req.Members, h.info.IsAdmin)
	if err != nil {
		return nil, err
	}
	if len(promoted) == 0 {
		return nil, codec.Errorf(codec.CodeBadRequest, "chat: nobody to promote")
	}
	for _, u := range promoted {
		if !h.info.HasMember(u) {
			return nil, ErrNotGroupMember
		}
	}
	info := h.info.Clone()
	info.Admins = append(info.Admins, promoted...)
	e := h.entry(r, m, KindMembers)
	e.Admins = slices.Clone(info.Admins)
	return h.commit(ctx, r, Write{Entry: e, Room: &info})
}

// demote takes admin rights from admins of the group: admins only, and
// the group keeps at least one admin (ErrLastAdmin otherwise). Listed
// members who are not admins are skipped; a listed user who is not a
// member is not_found.
func (h *conversation) demote(r *room.Room, m *room.Message) (any, error) {
	ctx, cancel := h.c.opCtx()
	defer cancel()
	var req MembersRequest
	if err := h.begin(m, &req); err != nil {
		return nil, err
	}
	if !h.info.IsAdmin(m.User) {
		return nil, ErrNotAdmin
	}
	demoted, err := checkUsers(req.Members, func(u string) bool { return h.info.HasMember(u) && !h.info.IsAdmin(u) })
	if err != nil {
		return nil, err
	}
	for _, u := range demoted {
		if !h.info.HasMember(u) {
			return nil, ErrNotGroupMember
		}
	}
	if len(demoted) == 0 {
		return nil, codec.Errorf(codec.CodeBadRequest, "chat: nobody to demote")
	}
	info := h.info.Clone()
	info.Admins = slices.DeleteFunc(info.Admins, func(u string) bool { return slices.Contains(demoted, u) })
	if len(info.Admins) == 0 {
		return nil, ErrLastAdmin
	}
	e := h.entry(r, m, KindMembers)
	e.Admins = slices.Clone(info.Admins)
	return h.commit(ctx, r, Write{Entry: e, Room: &info})
}

// rename gives the group a new name: admins only, under the rules of a
// name at creation. The name counts towards Config.DailyBytesPerUser.
func (h *conversation) rename(r *room.Room, m *room.Message) (any, error) {
	ctx, cancel := h.c.opCtx()
	defer cancel()
	var req RenameRequest
	if err := h.begin(m, &req); err != nil {
		return nil, err
	}
	if !h.info.IsAdmin(m.User) {
		return nil, ErrNotAdmin
	}
	name, err := h.c.checkGroupName(req.Name)
	if err != nil {
		return nil, err
	}
	if name == h.info.Name {
		return nil, codec.Errorf(codec.CodeBadRequest, "chat: the group already has this name")
	}
	info := h.info.Clone()
	info.Name = name
	e := h.entry(r, m, KindMembers)
	e.Name = name
	return h.commit(ctx, r, Write{Entry: e, Room: &info})
}

// checkGroupName validates a group's name and returns it trimmed: UTF-8
// without NUL bytes, 1 to Config.MaxGroupName bytes after trimming.
func (c *Chat) checkGroupName(s string) (string, error) {
	name := strings.TrimSpace(s)
	if blank(name) || len(name) > c.cfg.MaxGroupName || !validText(name) {
		return "", codec.Errorf(codec.CodeBadRequest, "chat: group name must be 1 to %d bytes of UTF-8", c.cfg.MaxGroupName)
	}
	return name, nil
}
