package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"time"
)

// config is the generator's command line.
type config struct {
	server    string
	url       string
	pid       int
	mode      string
	clients   int
	window    int
	size      int
	duration  time.Duration
	warmup    time.Duration
	settle    time.Duration
	stall     time.Duration
	idleConns int
	roomSize  int
	dialConc  int
	jsonPath  string
}

// parseFlags parses and checks the command line.
func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.StringVar(&c.server, "server", "", "server protocol: "+protoNames())
	fs.StringVar(&c.url, "url", "", "the server's WebSocket URL, on a loopback address")
	fs.IntVar(&c.pid, "pid", 0, "the server's process id, for its CPU time and RSS (0: not measured)")
	fs.StringVar(&c.mode, "mode", "fanout", "fanout or idle")
	fs.IntVar(&c.clients, "clients", 1000, "fanout: members of the room")
	fs.IntVar(&c.window, "window", 16, "fanout: broadcasts in flight")
	fs.IntVar(&c.size, "size", 100, "fanout: payload bytes")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "fanout: measured time")
	fs.DurationVar(&c.warmup, "warmup", time.Second, "fanout: time sending before measuring")
	fs.DurationVar(&c.settle, "settle", 2*time.Second, "pause after connecting, before sending or reading RSS")
	fs.DurationVar(&c.stall, "stall", 15*time.Second, "fanout: longest wait for a broadcast to reach every member")
	fs.IntVar(&c.idleConns, "idle-conns", 10000, "idle: connections")
	fs.IntVar(&c.roomSize, "room-size", 10, "idle: connections per room")
	fs.IntVar(&c.dialConc, "dial-concurrency", 64, "connections dialed at once")
	fs.StringVar(&c.jsonPath, "json", "", "write the result as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if _, ok := protos[c.server]; !ok {
		return c, fmt.Errorf("-server %q: want one of %s", c.server, protoNames())
	}
	if err := checkLoopback(c.url); err != nil {
		return c, err
	}
	switch {
	case c.mode != "fanout" && c.mode != "idle":
		return c, fmt.Errorf("-mode %q: want fanout or idle", c.mode)
	case c.clients < 1 || c.idleConns < 1 || c.roomSize < 1 || c.dialConc < 1:
		return c, errors.New("-clients, -idle-conns, -room-size and -dial-concurrency must be positive")
	case c.window < 1 || c.window >= ringSize:
		return c, fmt.Errorf("-window must be 1 to %d", ringSize-1)
	case c.size < 40 || c.size > 255:
		return c, errors.New("-size must be 40 to 255 bytes: the payload holds its header")
	case c.duration <= 0 || c.stall <= 0:
		return c, errors.New("-duration and -stall must be positive")
	}
	return c, nil
}

// checkLoopback refuses a URL whose host is not a loopback IP address.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "ws" {
		return fmt.Errorf("-url %q: want ws://127.0.0.1:port/path", raw)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-url %q: only loopback IP addresses", raw)
	}
	return nil
}
