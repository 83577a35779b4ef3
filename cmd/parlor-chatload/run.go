package main

import (
	"fmt"
	"os"
	"time"

	"github.com/parlorhq/parlor/internal/loadgen"
)

// run starts the server, connects and joins the members, runs the load
// through the warm-up and the measured time, waits for the last
// deliveries and prints the report. It fails if a delivery is missing.
func run(cfg config) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	var srv *server
	var err error
	if cfg.spawn {
		if cfg.pins, err = loadgen.PinGenerator(cfg.pin); err != nil {
			return err
		}
		srv, err = spawnServer(cfg)
	} else {
		srv, err = startServer(cfg, "127.0.0.1:0", false)
	}
	if err != nil {
		return err
	}
	defer srv.stop()
	rooms, err := connect(cfg, srv.url)
	defer rooms.closeAll()
	if err != nil {
		return err
	}
	if err := joinAll(cfg, rooms); err != nil {
		return err
	}
	lat := newLatencies(cfg.ackLog != "")
	res, err := load(cfg, srv, rooms, lat)
	if err != nil {
		return err
	}
	printResult(os.Stdout, cfg, lat, res)
	if cfg.ackLog != "" {
		if err := lat.log.write(cfg.ackLog); err != nil {
			return err
		}
	}
	if cfg.jsonPath != "" {
		if err := loadgen.WriteJSON(cfg.jsonPath, jsonOf(cfg, lat, res)); err != nil {
			return err
		}
	}
	if res.got < res.want {
		return fmt.Errorf("%d deliveries missing", res.want-res.got)
	}
	return nil
}

// load runs the readers and senders through the warm-up and the
// measured time, with a progress line, and waits for the last
// deliveries.
func load(cfg config, srv *server, rooms conversations, lat *latencies) (*result, error) {
	var win window
	s := startSenders(cfg, rooms, &win, lat)
	stopProgress := loadgen.Progress{
		Out: os.Stderr, Terminal: loadgen.IsTerminal(os.Stderr),
		Label: "persisted", Count: s.all.Load, Latency: lat.acks,
	}.Start()
	m, err := measureWindow(cfg, srv, &win)
	s.stop()
	stopProgress()
	if err != nil {
		return nil, err
	}
	after, err := srv.stats()
	if err != nil {
		return nil, err
	}
	res := &result{
		senders: s.n, acked: s.acked.Load(), sendErrs: s.errs.Load(), measurement: m,
		// A stalled client cannot notice that the server closed it (it
		// reads nothing, not even the end of its connection): count the
		// sessions the server no longer has.
		stalledClosed: cfg.clients() - after.Sessions,
		stalled:       countStalled(rooms),
		want:          expectedDeliveries(rooms),
	}
	res.got = waitDeliveries(rooms, res.want)
	return res, nil
}

// startReaders has the read loop of every member that is not stalled
// record its acks and deliveries: everyone has joined, so the stalled
// ones read no more.
func startReaders(rooms conversations, rec *recording) {
	for m := range rooms.members() {
		if !m.stalled {
			m.rec.Store(rec)
		}
	}
}

// expectedDeliveries is how many message events the members that read
// must receive: every message acked in the window, once for each of the
// other members of its room that read.
func expectedDeliveries(rooms conversations) int64 {
	var want int64
	for _, room := range rooms {
		readers := int64(0)
		for _, m := range room {
			if !m.stalled {
				readers++
			}
		}
		for _, m := range room {
			want += m.acked.Load() * (readers - 1)
		}
	}
	return want
}

// waitDeliveries waits up to 30s for want deliveries and returns how many
// came.
func waitDeliveries(rooms conversations, want int64) int64 {
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got int64
		for m := range rooms.members() {
			got += m.received.Load()
		}
		if got >= want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}
