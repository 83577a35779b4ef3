package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/parlorhq/parlor/internal/loopback"
)

// sample is one reading of the server's state.
type sample struct {
	at         time.Duration
	heap       uint64 // heap in use after a GC
	rssAnon    uint64
	rssFile    uint64
	goroutines int
	fds        int
	sessions   int
	rooms      int
}

// target is the server under test: where the clients connect, and how to
// sample it.
type target struct {
	wsURL string
	read  func() (sample, error) // samples the server, at the time since start
	close func()                 // stops a server this command started
}

// openTarget starts the in-process server, or checks the -url server and
// reads its stats once.
func openTarget(cfg config, start time.Time) (*target, error) {
	if cfg.url == "" {
		srv, err := startServer()
		if err != nil {
			return nil, err
		}
		read := func() (sample, error) { return srv.sample(time.Since(start)), nil }
		return &target{wsURL: "ws://" + srv.addr + "/", read: read, close: srv.stop}, nil
	}
	if err := loopback.CheckURL(cfg.url); err != nil {
		return nil, fmt.Errorf("-url %s: %w", cfg.url, err)
	}
	statsURL := cfg.statsURL
	if statsURL == "" {
		u, _ := url.Parse(cfg.url) // CheckURL parsed it
		statsURL = "http://" + u.Host + "/debug/stats"
	}
	read := func() (sample, error) { return remoteSample(statsURL, time.Since(start)) }
	if _, err := read(); err != nil {
		return nil, fmt.Errorf("server stats: %w", err)
	}
	return &target{wsURL: cfg.url, read: read, close: func() {}}, nil
}

// remoteSample reads the fault server's stats after a GC.
func remoteSample(statsURL string, at time.Duration) (sample, error) {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(statsURL + "?gc=1")
	if err != nil {
		return sample{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return sample{}, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var st struct {
		HeapInuse  uint64 `json:"heap_inuse"`
		RSSAnon    uint64 `json:"rss_anon"`
		RSSFile    uint64 `json:"rss_file"`
		Goroutines int    `json:"goroutines"`
		FDs        int    `json:"fds"`
		Sessions   int    `json:"sessions"`
		Rooms      int    `json:"rooms"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return sample{}, err
	}
	return sample{at: at, heap: st.HeapInuse, rssAnon: st.RSSAnon, rssFile: st.RSSFile,
		goroutines: st.Goroutines, fds: st.FDs, sessions: st.Sessions, rooms: st.Rooms}, nil
}
