package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/trace"
	"strconv"
	"strings"
	"time"
)

// tracePath is where a -spawn server answers with an execution trace of
// itself (runtime/trace) over ?ms= milliseconds.
const tracePath = "/parlor-load/trace"

// Where in a phase beside or without the idle connections -trace records
// the server, and for how long: past the phase's start, for a few
// seconds, so that the file stays small enough for go tool trace.
const (
	traceDelay  = 5 * time.Second
	traceLength = 3 * time.Second
)

// serveTrace answers GET tracePath?ms=N with an execution trace of the
// server's process over the next N milliseconds.
func serveTrace(w http.ResponseWriter, r *http.Request) {
	ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
	if err != nil || ms <= 0 || ms > 60_000 {
		http.Error(w, "ms must be 1 to 60000", http.StatusBadRequest)
		return
	}
	if err := trace.Start(w); err != nil {
		http.Error(w, err.Error(), http.StatusConflict) // a trace runs already
		return
	}
	time.Sleep(time.Duration(ms) * time.Millisecond)
	trace.Stop()
}

// traceDuring records the server's execution trace into path+"-"+label
// over traceLength, traceDelay after it is called, on its own goroutine;
// the returned function waits for it and returns its error. Without
// -trace it records nothing.
func traceDuring(cfg config, tgt *target, label string) (wait func() error) {
	if cfg.tracePath == "" {
		return func() error { return nil }
	}
	done := make(chan error, 1)
	go func() {
		time.Sleep(traceDelay)
		query := fmt.Sprintf("%s?ms=%d", tracePath, traceLength.Milliseconds())
		done <- saveFromServer(tgt.url, query, cfg.tracePath+"-"+label)
	}()
	return func() error { return <-done }
}

// saveFromServer writes what a -spawn server answers at pathQuery (a
// heap profile, a trace) to the file path.
func saveFromServer(wsURL, pathQuery, path string) error {
	u := "http://" + strings.TrimSuffix(strings.TrimPrefix(wsURL, "ws://"), "/ws") + pathQuery
	resp, err := http.Get(u)
	if err != nil {
		return fmt.Errorf("%s: %w", pathQuery, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", pathQuery, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
