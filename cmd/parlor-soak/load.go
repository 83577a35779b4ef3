package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/internal/loadgen"
)

// counters is the load's running totals.
type counters struct {
	acked, delivered, matches, moves, reconnects, errors atomic.Int64
}

// load is the chat clients and game bots, and what they counted.
type load struct {
	cfg   config
	wsURL string
	runID string        // makes the users of this run unique
	sem   chan struct{} // bounds the clients dialing at a time
	cnt   counters
	wg    sync.WaitGroup
}

// startLoad creates the chat groups, then starts the chat clients and the
// game bots; they run until ctx ends.
func startLoad(ctx context.Context, cfg config, wsURL string) (*load, error) {
	l := &load{
		cfg:   cfg,
		wsURL: wsURL,
		// Users are unique per run, so that a reused server's stored
		// groups do not get in the way.
		runID: strconv.FormatInt(time.Now().UnixNano()%1e9, 36),
		sem:   make(chan struct{}, cfg.dialConc),
	}
	groups, err := l.createGroups(ctx)
	if err != nil {
		return nil, err
	}
	for i := range cfg.chatClients() {
		g := groups[i%cfg.rooms]
		l.wg.Go(func() { l.chatter(ctx, l.chatUser(i), g) })
	}
	for i := range cfg.games {
		l.wg.Go(func() { l.bots(ctx, fmt.Sprintf("s%s-g%d", l.runID, i)) })
	}
	return l, nil
}

// wait waits for the clients and bots to end, once ctx has ended.
func (l *load) wait() { l.wg.Wait() }

// chatUser is the user of chat client i.
func (l *load) chatUser(i int) string { return fmt.Sprintf("s%s-c%d", l.runID, i) }

// clientOptions are the load's client options. The event buffer is small:
// the clients read at once, and a buffer of the default 1,024 events
// (about 110 KiB, allocated at once, its pages made resident only as the
// ring goes round) would make the process's resident memory creep up for
// minutes in a way that says nothing about the server.
var clientOptions = client.Options{RequestTimeout: 30 * time.Second, EventBuffer: 64}

// dial connects user to the server within 30s.
func (l *load) dial(ctx context.Context, user string, opts client.Options) (*client.Client, error) {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return client.Dial(dctx, loadgen.UserURL(l.wsURL, user), opts)
}

// acquire takes a dialing slot, or returns false when ctx ends first.
func (l *load) acquire(ctx context.Context) bool {
	select {
	case l.sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// release returns a dialing slot.
func (l *load) release() { <-l.sem }

// sleep waits for d, or returns false when ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
