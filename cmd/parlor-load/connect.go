package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/internal/loadgen"
)

// load is the connected clients and their rooms.
type load struct {
	clients []*client.Client // client i is user "u<i>", in room i % len(roomIDs)
	roomIDs []string         // the room ids, as the server named them on join
	members []int            // clients per room
}

// connect dials every client and joins it to its room, at most
// -dial-concurrency at a time. The clients that were dialed are in the
// load even when it returns an error, for the caller to close.
func connect(ctx context.Context, cfg config, wsURL string, header http.Header) (*load, error) {
	l := &load{
		clients: make([]*client.Client, cfg.clients),
		roomIDs: make([]string, cfg.rooms),
		members: make([]int, cfg.rooms),
	}
	opts := client.Options{
		Header: header, Client: "parlor-load", EventBuffer: 256,
		// A dropped connection is a failure to report, not to hide.
		Reconnect: client.ReconnectPolicy{Disabled: true},
	}
	err := loadgen.Parallel(ctx, cfg.clients, cfg.dialConc, func(ctx context.Context, i int) error {
		if err := l.join(ctx, cfg, wsURL, opts, i); err != nil {
			return fmt.Errorf("client %d: %w", i, err)
		}
		return nil
	})
	for i := range l.clients {
		l.members[i%cfg.rooms]++
	}
	return l, err
}

// join dials client i and joins it to its echo room.
func (l *load) join(ctx context.Context, cfg config, wsURL string, opts client.Options, i int) error {
	c, err := client.Dial(ctx, loadgen.UserURL(wsURL, fmt.Sprintf("u%d", i)), opts)
	if err != nil {
		return err
	}
	l.clients[i] = c
	j, err := c.Join(ctx, echo.Kind, echo.JoinParams{Name: fmt.Sprintf("%s-%d", cfg.roomPrefix, i%cfg.rooms)})
	if err != nil {
		return err
	}
	if i < cfg.rooms {
		l.roomIDs[i] = j.Room
	}
	return nil
}

// closed counts the clients the server has closed.
func (l *load) closed() int {
	n := 0
	for _, c := range l.clients {
		select {
		case <-c.Done():
			n++
		default:
		}
	}
	return n
}
