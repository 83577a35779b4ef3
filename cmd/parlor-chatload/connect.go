package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/internal/loadgen"
)

// The event buffers of the clients. A reading member drains its events
// as they come, so a small buffer is enough; a large one costs the
// generator's garbage collector dearly: a buffer of events holds pointers
// and is scanned whole, full or empty, every cycle (4,096 events for each
// of 1,000 clients were 400 MB of live heap and mark phases of 180-330 ms
// that stalled the whole process).
const (
	// eventBuffer is the event buffer of a reading member.
	eventBuffer = 256
	// stalledBuffer is the event buffer of a stalled member.
	stalledBuffer = 16
)

// connect dials every member of every room. The members that were dialed
// are in the result even when it returns an error, for the caller to
// close.
func connect(cfg config, wsURL string) (conversations, error) {
	rooms := make(conversations, cfg.rooms)
	for i := range rooms {
		rooms[i] = make([]*member, cfg.size)
		for j := range rooms[i] {
			rooms[i][j] = &member{user: fmt.Sprintf("r%dm%d", i, j), key: i*cfg.size + j}
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

// dial connects m; a stalled member gets a small event buffer and never
// reconnects.
func dial(ctx context.Context, wsURL string, m *member) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	opts := client.Options{EventBuffer: eventBuffer, RequestTimeout: time.Minute}
	if m.stalled {
		opts.EventBuffer = stalledBuffer
		opts.Reconnect.Disabled = true
	}
	c, err := client.Dial(ctx, loadgen.UserURL(wsURL, m.user), opts)
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
	var drains sync.WaitGroup
	for m := range rooms.members() {
		if m.stalled {
			m.stall = make(chan struct{})
			drains.Go(m.drainUntilStalled)
		}
	}
	defer func() {
		for m := range rooms.members() {
			if m.stall != nil {
				close(m.stall)
			}
		}
		drains.Wait()
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
			j, err := m.c.Join(ctx, chat.KindDM, chat.DMParams{With: room[1-i].user})
			if err != nil {
				return err
			}
			m.room = j.Room
		}
		return nil
	}
	var others []string
	for _, m := range room[1:] {
		others = append(others, m.user)
	}
	j, err := room[0].c.Join(ctx, chat.KindGroup, chat.GroupParams{Create: &chat.CreateGroup{Name: "load", Members: others}})
	if err != nil {
		return err
	}
	room[0].room = j.Room
	for _, m := range room[1:] {
		if _, err := m.c.Join(ctx, chat.KindGroup, chat.GroupParams{ID: j.Room}); err != nil {
			return err
		}
		m.room = j.Room
	}
	return nil
}
