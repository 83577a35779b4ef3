package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
)

// group is one chat group of the load.
type group struct {
	id string
}

// createGroups creates the chat groups: each is created by its first
// member, with every member of it listed.
func (l *load) createGroups(ctx context.Context) ([]*group, error) {
	groups := make([]*group, l.cfg.rooms)
	for r := range groups {
		var members []string
		for i := r + l.cfg.rooms; i < l.cfg.chatClients(); i += l.cfg.rooms {
			members = append(members, l.chatUser(i))
		}
		c, err := l.dial(ctx, l.chatUser(r), client.Options{})
		if err != nil {
			return nil, err
		}
		jctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		j, err := c.Join(jctx, chat.KindGroup, chat.GroupParams{Create: &chat.CreateGroup{Name: "soak " + strconv.Itoa(r), Members: members}})
		cancel()
		_ = c.Close()
		if err != nil {
			return nil, fmt.Errorf("create group %d: %w", r, err)
		}
		groups[r] = &group{id: j.Room}
	}
	return groups, nil
}

// chatter is one chat client: it joins its group, sends at the rate and
// reads, and every churn period (on average) starts over on a new
// connection.
func (l *load) chatter(ctx context.Context, user string, g *group) {
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	// Spread the start over the first interval.
	if !sleep(ctx, time.Duration(rng.Int64N(int64(l.cfg.interval)))) {
		return
	}
	for n := 0; ctx.Err() == nil; n++ {
		if n > 0 {
			l.cnt.reconnects.Add(1)
		}
		var life time.Duration
		if l.cfg.churn > 0 {
			life = time.Duration((0.5 + rng.Float64()) * float64(l.cfg.churn))
		}
		l.chatSession(ctx, user, g, rng, life)
	}
}

// chatSession is one connection of a chat client, for life (0: until ctx
// ends).
func (l *load) chatSession(ctx context.Context, user string, g *group, rng *rand.Rand, life time.Duration) {
	c, err := l.joinGroup(ctx, user, g)
	if err != nil {
		if ctx.Err() == nil {
			l.cnt.errors.Add(1)
			fmt.Fprintf(os.Stderr, "parlor-soak: %s: connect and join: %v\n", user, err)
			sleep(ctx, time.Second)
		}
		return
	}
	defer c.Close()
	go l.readGroup(c, user, g)
	l.sendLoop(ctx, c, user, g, rng, life)
}

// joinGroup connects user and joins it to g, holding a dialing slot.
func (l *load) joinGroup(ctx context.Context, user string, g *group) (*client.Client, error) {
	if !l.acquire(ctx) {
		return nil, ctx.Err()
	}
	defer l.release()
	c, err := l.dial(ctx, user, clientOptions)
	if err != nil {
		return nil, err
	}
	// The snapshot (with the newest messages) is not kept.
	jctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := c.Join(jctx, chat.KindGroup, chat.GroupParams{ID: g.id}); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// readGroup counts the messages from others in g until c ends.
func (l *load) readGroup(c *client.Client, user string, g *group) {
	for ev := range c.Events() {
		if ev.Name == chat.KindMessage && ev.Room == g.id {
			var m chat.Message
			if ev.Decode(&m) == nil && m.From != user {
				l.cnt.delivered.Add(1)
			}
		}
	}
}

// sendLoop sends to g at the rate, with jittered gaps, each message
// waiting for its ack, until ctx ends, life (0: no bound) has passed, or
// a send fails.
func (l *load) sendLoop(ctx context.Context, c *client.Client, user string, g *group, rng *rand.Rand, life time.Duration) {
	var until <-chan time.Time
	if life > 0 {
		t := time.NewTimer(life)
		defer t.Stop()
		until = t.C
	}
	gap := float64(time.Second) / l.cfg.rate
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-until:
			return
		case <-time.After(time.Duration((0.5 + rng.Float64()) * gap)):
		}
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err := c.Send(sctx, g.id, chat.OpSend, chat.SendRequest{Text: fmt.Sprintf("%s #%d %s", user, i, time.Now().Format(time.RFC3339Nano))})
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				l.cnt.errors.Add(1)
				fmt.Fprintf(os.Stderr, "parlor-soak: %s: send: %v\n", user, err)
			}
			return
		}
		l.cnt.acked.Add(1)
	}
}
