package main

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/internal/loadgen"
)

// reader drains one client's events.
type reader struct {
	delivered atomic.Int64
	parseErrs int
}

// run counts c's said events until c ends, and records their latency in
// lat under key.
func (rd *reader) run(c *client.Client, lat *loadgen.Recorder, key int) {
	for ev := range c.Events() {
		if ev.Name != "said" {
			continue
		}
		now := time.Now().UnixNano()
		sent, ok := sentAt(ev.Data)
		if !ok {
			var s echo.Said
			if ev.Decode(&s) == nil {
				sent, ok = parseStamp([]byte(s.Text))
			}
		}
		if ok {
			lat.Record(key, time.Duration(now-sent))
		} else {
			rd.parseErrs++
		}
		rd.delivered.Add(1)
	}
}

// readers are the readers of every client.
type readers struct {
	rds []*reader
	lat *loadgen.Recorder // send-to-receive latency
	wg  sync.WaitGroup
}

// startReaders starts a reader for each client.
func startReaders(clients []*client.Client) *readers {
	rs := &readers{rds: make([]*reader, len(clients)), lat: loadgen.NewRecorder(0)}
	for i, c := range clients {
		rd := &reader{}
		rs.rds[i] = rd
		rs.wg.Go(func() { rd.run(c, rs.lat, i) })
	}
	return rs
}

// delivered is the number of events received so far.
func (rs *readers) delivered() int64 {
	var n int64
	for _, rd := range rs.rds {
		n += rd.delivered.Load()
	}
	return n
}

// wait waits for every reader to end (their clients closed) and returns
// what they measured.
func (rs *readers) wait() (hist *loadgen.Histogram, parseErrs int) {
	rs.wg.Wait()
	for _, rd := range rs.rds {
		parseErrs += rd.parseErrs
	}
	return rs.lat.Snapshot(), parseErrs
}
