package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/internal/loadgen"
)

// sendStats counts one room's requests.
type sendStats struct {
	acked  atomic.Int64
	failed atomic.Int64
	mu     sync.Mutex
	errs   map[string]int
}

// fail counts a failed request, by its error code if it has one.
func (s *sendStats) fail(err error) {
	s.failed.Add(1)
	key := err.Error()
	var ce *codec.Error
	if errors.As(err, &ce) {
		key = string(ce.Code)
	}
	s.mu.Lock()
	if s.errs == nil {
		s.errs = map[string]int{}
	}
	s.errs[key]++
	s.mu.Unlock()
}

// sendAll runs -inflight send loops for each sender for -duration and
// returns each room's counts. With -rate, the loops share one schedule.
func sendAll(ctx context.Context, cfg config, l *load) []*sendStats {
	stats := make([]*sendStats, cfg.rooms)
	for r := range stats {
		stats[r] = &sendStats{}
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	var sched *loadgen.Schedule
	if cfg.rate > 0 {
		sched = loadgen.NewSchedule(cfg.rate, time.Now())
	}
	var wg sync.WaitGroup
	for i, c := range l.clients {
		if !cfg.isSender(i) {
			continue
		}
		r := i % cfg.rooms
		for range cfg.inflight {
			wg.Go(func() { sendLoop(ctx, c, l.roomIDs[r], cfg.size, stats[r], pacer(sched)) })
		}
	}
	wg.Wait()
	return stats
}

// pacer returns a Pacer of sched; nil for no schedule (closed loop).
func pacer(sched *loadgen.Schedule) *loadgen.Pacer {
	if sched == nil {
		return nil
	}
	return sched.Pacer()
}

// sendLoop sends say events until ctx ends: one after the other, or at
// the times p hands out if it is not nil. The text carries the send time,
// or the due time with p, for the receivers to measure latency from.
func sendLoop(ctx context.Context, c *client.Client, roomID string, size int, st *sendStats, p *loadgen.Pacer) {
	buf := make([]byte, 0, size)
	var data []byte
	for ctx.Err() == nil {
		at := time.Now()
		if p != nil {
			due, ok := p.Next(ctx)
			if !ok || pastEnd(ctx, due) {
				return
			}
			at = due
		}
		buf = makeText(buf, size, at)
		data = codec.AppendMapHeader(data[:0], 1)
		data = codec.AppendString(data, "text")
		data = codec.AppendString(data, string(buf))
		// The request itself is not bounded by the run's deadline: an
		// event that was sent is waited for.
		rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := c.Send(rctx, roomID, "say", data)
		cancel()
		if err != nil {
			st.fail(err)
			select {
			case <-c.Done():
				return
			default:
			}
			continue
		}
		st.acked.Add(1)
	}
}

// errSummary lists the failed requests by error, for the report.
func errSummary(stats []*sendStats) string {
	all := map[string]int{}
	for _, st := range stats {
		st.mu.Lock()
		for k, v := range st.errs {
			all[k] += v
		}
		st.mu.Unlock()
	}
	if len(all) == 0 {
		return ""
	}
	var parts []string
	for k, v := range all {
		parts = append(parts, fmt.Sprintf("%s: %d", k, v))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// pastEnd reports whether a send due at due falls at or after the end of
// the run, ctx's deadline. The run's context ends by a timer of its own,
// which fires late on a busy machine; a send loop behind schedule would
// meanwhile take sends due after the end, and the run would send more
// than -rate allows.
func pastEnd(ctx context.Context, due time.Time) bool {
	end, ok := ctx.Deadline()
	return ok && !due.Before(end)
}
