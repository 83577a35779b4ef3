package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/internal/boltcommit"
	"github.com/parlorhq/parlor/internal/loadgen"
)

// breakdown collects, with -breakdown, where a durable move's time goes:
// from the bbolt writer (boltcommit's observer) and from a store wrapper
// that times each Append as the match room sees it. Counts (writes and
// pages per commit) are kept as microseconds in the same histograms.
type breakdown struct {
	queued, waited, body, commit, spill, write, other *loadgen.Recorder
	writes, pages                                     *loadgen.Recorder
	append, reply                                     *loadgen.Recorder
	// appended is, per match, when its last Append returned.
	appended sync.Map
	// from is when -warmup ends (Unix ns): nothing before it is recorded.
	from atomic.Int64
}

// measuring reports whether -warmup is over.
func (b *breakdown) measuring() bool { return time.Now().UnixNano() >= b.from.Load() }

// newBreakdown returns an empty breakdown.
func newBreakdown() *breakdown {
	r := func() *loadgen.Recorder { return loadgen.NewRecorder(1) }
	return &breakdown{
		queued: r(), waited: r(), body: r(), commit: r(), spill: r(), write: r(), other: r(),
		writes: r(), pages: r(), append: r(), reply: r(),
	}
}

// observe records one transaction of the bbolt writer.
func (b *breakdown) observe(c *boltcommit.Commit) {
	if !b.measuring() {
		return
	}
	for i := range c.Queued {
		b.queued.Record(0, c.Queued[i])
		b.waited.Record(0, c.Waited[i])
	}
	b.body.Record(0, c.Body)
	b.commit.Record(0, c.Commit)
	b.spill.Record(0, c.Spill)
	b.write.Record(0, c.Write)
	b.other.Record(0, c.Commit-c.Spill-c.Write)
	b.writes.Record(0, time.Duration(c.Writes)*time.Microsecond)
	b.pages.Record(0, time.Duration(c.Pages)*time.Microsecond)
}

// replied records, once both bots have the position after a move of
// match, the time since that move's Append returned.
func (b *breakdown) replied(match string) {
	if v, ok := b.appended.Load(match); ok {
		b.reply.Record(0, time.Since(v.(time.Time)))
	}
}

// timedStore is a games.Store whose Appends are timed into a breakdown.
type timedStore struct {
	games.Store
	b *breakdown
}

// Append implements games.Store.
func (s timedStore) Append(ctx context.Context, w games.Write) error {
	t0 := time.Now()
	err := s.Store.Append(ctx, w)
	now := time.Now()
	if s.b.measuring() {
		s.b.append.Record(0, now.Sub(t0))
	}
	s.b.appended.Store(w.Match, now)
	return err
}

// print writes the breakdown, one line per part.
func (b *breakdown) print(out io.Writer) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%8.3f", float64(d)/1e6) }
	n := func(d time.Duration) string { return fmt.Sprintf("%8d", d/time.Microsecond) }
	line := func(name string, r *loadgen.Recorder, f func(time.Duration) string) {
		h := r.Snapshot()
		fmt.Fprintf(out, "  %-34s %8d %s %s %s %s\n", name, h.Count(),
			f(h.Quantile(0.5)), f(h.Quantile(0.99)), f(h.Quantile(0.999)), f(h.Max()))
	}
	fmt.Fprintf(out, "breakdown (ms)                         count      p50      p99    p99.9      max\n")
	line("per write: queued behind a commit", b.queued, ms)
	line("per write: adaptive wait", b.waited, ms)
	line("per commit: transaction body", b.body, ms)
	line("per commit: Tx.Commit", b.commit, ms)
	line("  spill (CPU)", b.spill, ms)
	line("  pages + 2 fdatasync + meta", b.write, ms)
	line("  freelist, grow, remap", b.other, ms)
	line("per commit: writes (count)", b.writes, n)
	line("per commit: pwrite calls (count)", b.pages, n)
	line("per move: Store.Append in the room", b.append, ms)
	line("per move: Append to both bots", b.reply, ms)
}
