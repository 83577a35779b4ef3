package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/boltstore"
	"github.com/parlorhq/parlor/internal/loadgen"
)

// breakdown collects, with -breakdown, where a durable move's time goes:
// from the bbolt store's log writer (its observer) and from a store
// wrapper that times each Append as the match room sees it. Counts
// (writes and bytes per batch) are kept as microseconds in the same
// histograms.
type breakdown struct {
	queued, check, write, sync, full *loadgen.Recorder
	writes, bytes                    *loadgen.Recorder
	answer, append, reply            *loadgen.Recorder
	// The bbolt file's commits: their time, ops applied and held, pages
	// written, and the sums of ops and pages for pages per op.
	commit, applied, held, pages *loadgen.Recorder
	opsSum, pagesSum             atomic.Int64
	// appended is, per match, when its last Append returned.
	appended sync.Map
	// from is when -warmup ends and until when -duration does (Unix ns):
	// only what happens between them is recorded (the moves' latency
	// counts the moves due between them). The games' last writes, when
	// the bots stop at the end of -duration, are left out.
	from, until atomic.Int64
}

// measuring reports whether -warmup is over and -duration is not.
func (b *breakdown) measuring() bool {
	now := time.Now().UnixNano()
	return now >= b.from.Load() && now < b.until.Load()
}

// newBreakdown returns an empty breakdown.
func newBreakdown() *breakdown {
	r := func() *loadgen.Recorder { return loadgen.NewRecorder(1) }
	return &breakdown{
		queued: r(), check: r(), write: r(), sync: r(), full: r(),
		writes: r(), bytes: r(), answer: r(), append: r(), reply: r(),
		commit: r(), applied: r(), held: r(), pages: r(),
	}
}

// observe records one batch of the store's log writer.
func (b *breakdown) observe(c *boltstore.Batch) {
	if !b.measuring() {
		return
	}
	for _, q := range c.Queued {
		b.queued.Record(0, q)
	}
	b.check.Record(0, c.Check)
	b.write.Record(0, c.Write)
	b.sync.Record(0, c.Sync)
	b.full.Record(0, c.Full)
	b.writes.Record(0, time.Duration(c.Writes)*time.Microsecond)
	b.bytes.Record(0, time.Duration(c.Bytes)*time.Microsecond)
}

// committed records one transaction of the bbolt store's applier.
func (b *breakdown) committed(c boltstore.Commit) {
	if !b.measuring() {
		return
	}
	b.commit.Record(0, c.Took)
	b.applied.Record(0, time.Duration(c.Ops)*time.Microsecond)
	b.held.Record(0, time.Duration(c.Held)*time.Microsecond)
	b.pages.Record(0, time.Duration(c.Pages)*time.Microsecond)
	b.opsSum.Add(int64(c.Ops))
	b.pagesSum.Add(c.Pages)
}

// answered records, for one write, how long its answer took to reach
// the room after the log's sync returned.
func (b *breakdown) answered(d time.Duration) {
	if b.measuring() {
		b.answer.Record(0, d)
	}
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
	line("per write: queued for the log writer", b.queued, ms)
	line("per batch: check and frame", b.check, ms)
	line("per batch: log pwrite", b.write, ms)
	line("per batch: log fdatasync", b.sync, ms)
	line("per batch: log full, wait for bbolt", b.full, ms)
	line("per batch: writes (count)", b.writes, n)
	line("per batch: bytes (count)", b.bytes, n)
	line("per write: synced to back in the room", b.answer, ms)
	line("per move: Store.Append in the room", b.append, ms)
	line("per move: Append to both bots", b.reply, ms)
	line("per commit: bbolt transaction", b.commit, ms)
	line("per commit: writes applied (count)", b.applied, n)
	line("per commit: writes held (count)", b.held, n)
	line("per commit: pages written (count)", b.pages, n)
	if ops := b.opsSum.Load(); ops > 0 {
		fmt.Fprintf(out, "  %-34s %8.2f\n", "pages written per write applied", float64(b.pagesSum.Load())/float64(ops))
	}
}
