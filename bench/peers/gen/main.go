// Command gen is the load generator of the peers benchmark. It drives
// any of the four servers of bench/peers (parlor, gwsraw, centrifuge,
// socketio) with the same workload, through a small adapter per protocol.
//
// Fan-out mode: -clients connections join one room; connection 0 keeps
// -window broadcasts of -size-byte payloads in flight, sending a new one
// each time one has reached every member. It reports deliveries per
// second, deliveries per server CPU-second (from /proc/<pid>/stat of
// -pid), and the send-to-receive latency (the send time is in the
// payload).
//
// Idle mode: -idle-conns connections in rooms of -room-size on a freshly
// started server; it reports the server's RSS growth per connection
// (VmRSS from /proc/<pid>/status).
//
// It talks to loopback addresses only.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// report is the JSON a run writes with -json.
type report struct {
	Server  string        `json:"server"`
	Mode    string        `json:"mode"`
	Clients int           `json:"clients,omitempty"`
	Window  int           `json:"window,omitempty"`
	Size    int           `json:"size,omitempty"`
	Date    string        `json:"date"`
	LoadAvg string        `json:"loadavg"` // /proc/loadavg when the run began
	Fanout  *fanoutResult `json:"fanout,omitempty"`
	Idle    *idleResult   `json:"idle,omitempty"`
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// run runs one mode against one server and reports it.
func run(ctx context.Context, cfg config) error {
	pr := protos[cfg.server]
	rep := report{Server: cfg.server, Mode: cfg.mode, Date: time.Now().UTC().Format(time.RFC3339), LoadAvg: loadAvg()}
	switch cfg.mode {
	case "fanout":
		rep.Clients, rep.Window, rep.Size = cfg.clients, cfg.window, cfg.size
		r, err := runFanout(ctx, cfg, pr)
		if err != nil {
			return err
		}
		rep.Fanout = r
		fmt.Printf("%s fanout W=%d N=%d: %.0f deliveries/s, %.0f per server CPU-s (server %.2f cores, gen %.2f), p50 %.2f ms p99 %.2f ms, %d broadcasts, %d lost\n",
			cfg.server, cfg.window, cfg.clients, r.DeliveriesPerSec, r.DeliveriesPerCPUS, r.ServerCores, r.GenCores, r.P50ms, r.P99ms, r.Broadcasts, r.Lost)
	case "idle":
		rep.Clients = cfg.idleConns
		r, err := runIdle(ctx, cfg, pr)
		if err != nil {
			return err
		}
		rep.Idle = r
		fmt.Printf("%s idle %d conns in rooms of %d: RSS %.1f → %.1f MiB, %.1f KiB per connection\n",
			cfg.server, r.Conns, r.RoomSize, float64(r.RSSBefore)/(1<<20), float64(r.RSSAfter)/(1<<20), r.KiBPerConn)
	}
	if cfg.jsonPath == "" {
		return nil
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(cfg.jsonPath, append(b, '\n'), 0o644)
}
