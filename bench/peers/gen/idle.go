package main

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// idleResult is what one idle-memory run measured.
type idleResult struct {
	Conns         int     `json:"conns"`
	RoomSize      int     `json:"room_size"`
	RSSBefore     uint64  `json:"rss_before"` // server VmRSS before the first connection, bytes
	RSSAfter      uint64  `json:"rss_after"`  // after all joined and the settle time, bytes
	BytesPerConn  float64 `json:"bytes_per_conn"`
	KiBPerConn    float64 `json:"kib_per_conn"`
	ConnectSecond float64 `json:"connect_seconds"` // time to connect and join them all
}

// runIdle connects cfg.idleConns peers in rooms of cfg.roomSize to a
// freshly started server and reports its RSS growth per connection.
func runIdle(ctx context.Context, cfg config, pr proto) (*idleResult, error) {
	if cfg.pid <= 0 {
		return nil, errors.New("-mode idle needs -pid, the server's process id")
	}
	before, err := rss(cfg.pid)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	roomOf := func(i int) string { return "idle-" + strconv.Itoa(i/cfg.roomSize) }
	peers, err := connectAll(ctx, pr, cfg.url, cfg.idleConns, cfg.dialConc, roomOf, nil)
	if err != nil {
		return nil, err
	}
	defer closeAll(peers)
	connected := time.Since(start)
	time.Sleep(cfg.settle)
	after, err := rss(cfg.pid)
	if err != nil {
		return nil, err
	}
	for _, p := range peers {
		if err := p.err(); err != nil {
			return nil, err
		}
	}
	per := (float64(after) - float64(before)) / float64(cfg.idleConns)
	return &idleResult{
		Conns: cfg.idleConns, RoomSize: cfg.roomSize,
		RSSBefore: before, RSSAfter: after,
		BytesPerConn: per, KiBPerConn: per / 1024,
		ConnectSecond: connected.Seconds(),
	}, nil
}
