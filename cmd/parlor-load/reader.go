package main

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/internal/echo"
)

// reader drains one client's events.
type reader struct {
	hist      histogram
	delivered atomic.Int64
	parseErrs int
}

// run counts c's said events and their latency until c ends.
func (rd *reader) run(c *client.Client) {
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
			rd.hist.record(now - sent)
		} else {
			rd.parseErrs++
		}
		rd.delivered.Add(1)
	}
}

// readers are the readers of every client.
type readers struct {
	rds []*reader
	wg  sync.WaitGroup
}

// startReaders starts a reader for each client.
func startReaders(clients []*client.Client) *readers {
	rs := &readers{rds: make([]*reader, len(clients))}
	for i, c := range clients {
		rd := &reader{}
		rs.rds[i] = rd
		rs.wg.Go(func() { rd.run(c) })
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

// wait waits for every reader to end (their clients closed) and merges
// what they measured.
func (rs *readers) wait() (hist histogram, parseErrs int) {
	rs.wg.Wait()
	for _, rd := range rs.rds {
		hist.merge(&rd.hist)
		parseErrs += rd.parseErrs
	}
	return hist, parseErrs
}
