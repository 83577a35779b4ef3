package main

import (
	"context"
	"fmt"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/internal/loadgen"
)

// connect dials every member of every room. The members that were dialed
// are in the result even when it returns an error, for the caller to
// close.
func connect(cfg config, wsURL string) (conversations, error) {
	rooms := make(conversations, cfg.rooms)
	for i := range rooms {
		rooms[i] = make([]*member, cfg.size)
		for j := range rooms[i] {
			m := &member{user: fmt.Sprintf("r%dm%d", i, j), key: i*cfg.size + j, slots: make([]sendSlot, cfg.inflight)}
			for k := range m.slots {
				m.slots[k].done = make(chan error, 1)
			}
			rooms[i][j] = m
		}
	}
	markStalled(cfg, rooms)
	err := loadgen.Parallel(context.Background(), cfg.clients(), cfg.dialConc, func(ctx context.Context, i int) error {
		return dial(ctx, wsURL, rooms[i/cfg.size][i%cfg.size])
	})
	if err != nil {
		return rooms, fmt.Errorf("dial: %w", err)
	}
	return rooms, nil
}

// dial connects m.
func dial(ctx context.Context, wsURL string, m *member) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	c, err := dialWire(ctx, loadgen.UserURL(wsURL, m.user), m)
	if err != nil {
		return err
	}
	m.c = c
	return nil
}

// markStalled picks the stalled members: round(clients × -stalled) of
// them, at least one if -stalled > 0, the last member of evenly spaced
// rooms (and the one before it once every room has one, and so on).
func markStalled(cfg config, rooms conversations) {
	k := int(float64(cfg.clients())*cfg.stalled + 0.5)
	if cfg.stalled > 0 && k == 0 {
		k = 1
	}
	for i := range k {
		r := rooms[(i%cfg.rooms)*cfg.rooms/min(k, cfg.rooms)%cfg.rooms]
		m := r[cfg.size-1-i/cfg.rooms]
		m.stalled = true
		for _, o := range r {
			o.neighbour = true
		}
	}
}

// joinAll puts each room's members in their conversation. Stalled members
// read while everyone joins, and stop reading when joinAll returns.
func joinAll(cfg config, rooms conversations) error {
	defer func() {
		for m := range rooms.members() {
			if m.stalled && m.c != nil {
				m.c.stalled.Store(true)
			}
		}
	}()
	err := loadgen.Parallel(context.Background(), len(rooms), cfg.dialConc, func(ctx context.Context, i int) error {
		return joinRoom(ctx, rooms[i])
	})
	if err != nil {
		return fmt.Errorf("join: %w", err)
	}
	return nil
}

// joinRoom joins the members of one room: to their direct conversation
// for two, else to a group that the first member creates.
func joinRoom(ctx context.Context, room []*member) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if len(room) == 2 {
		for i, m := range room {
			id, err := m.c.Join(ctx, chat.KindDM, chat.DMParams{With: room[1-i].user})
			if err != nil {
				return err
			}
			m.room = id
		}
		return nil
	}
	var others []string
	for _, m := range room[1:] {
		others = append(others, m.user)
	}
	id, err := room[0].c.Join(ctx, chat.KindGroup, chat.GroupParams{Create: &chat.CreateGroup{Name: "load", Members: others}})
	if err != nil {
		return err
	}
	room[0].room = id
	for _, m := range room[1:] {
		if _, err := m.c.Join(ctx, chat.KindGroup, chat.GroupParams{ID: id}); err != nil {
			return err
		}
		m.room = id
	}
	return nil
}
