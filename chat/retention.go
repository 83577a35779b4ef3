package chat

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Retention bounds how long conversation logs are kept: one rule per
// conversation kind, applied to every stored log by a sweeper that runs
// every Interval (and by Chat.Trim). A rule removes the oldest entries of
// a log, never renumbers the rest: the head seq stays, and history simply
// no longer returns what was removed.
type Retention struct {
	// DM is the rule for direct conversations. Zero: kept forever.
	DM RetentionRule
	// Group is the rule for groups. Zero: kept forever.
	Group RetentionRule
	// Interval is the time between two sweeps, when a rule is set.
	// Default: 1h. Negative: no sweeper; the host calls Chat.Trim.
	Interval time.Duration
}

// RetentionRule bounds the logs of one conversation kind. Either bound,
// or both, may be set: an entry goes when either lets it go.
type RetentionRule struct {
	// MaxAge removes the entries stored longer ago than this. Zero: no
	// bound by age.
	MaxAge time.Duration
	// MaxEntries keeps only the newest MaxEntries entries of each log
	// (messages, edits, deletes and members entries alike). Zero: no
	// bound by count.
	MaxEntries int
}

// DefaultRetentionInterval is the default Retention.Interval.
const DefaultRetentionInterval = time.Hour

func (r Retention) withDefaults() Retention {
	if r.Interval == 0 {
		r.Interval = DefaultRetentionInterval
	}
	return r
}

// rules returns the store's trim rules at time now: none when no rule is
// set.
func (r Retention) rules(now time.Time) map[string]TrimRule {
	rules := make(map[string]TrimRule)
	for kind, rule := range map[string]RetentionRule{KindDM: r.DM, KindGroup: r.Group} {
		var tr TrimRule
		if rule.MaxAge > 0 {
			tr.Before = now.Add(-rule.MaxAge).UnixMilli()
		}
		if rule.MaxEntries > 0 {
			tr.Keep = uint64(rule.MaxEntries)
		}
		if tr != (TrimRule{}) {
			rules[kind] = tr
		}
	}
	return rules
}

// Trim applies Config.Retention to every stored log now, and returns how
// many entries it removed. The sweeper calls it every
// Retention.Interval; a host that set a negative interval calls it
// itself. Without a retention rule it does nothing.
//
// Open conversations may show the newest message and unread counts of
// before the trim until their next change.
func (c *Chat) Trim(ctx context.Context) (int, error) {
	rules := c.cfg.Retention.rules(time.Now())
	if len(rules) == 0 {
		return 0, nil
	}
	return c.store.Trim(ctx, rules)
}

// sweeper calls Chat.Trim every Retention.Interval until stopped.
type sweeper struct {
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// startSweeper starts c's sweeper, or returns nil when there is no rule
// or no interval.
func startSweeper(c *Chat) *sweeper {
	if c.cfg.Retention.Interval < 0 || len(c.cfg.Retention.rules(time.Now())) == 0 {
		return nil
	}
	sw := &sweeper{stop: make(chan struct{}), done: make(chan struct{})}
	go sw.run(c)
	return sw
}

func (sw *sweeper) run(c *Chat) {
	defer close(sw.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-sw.stop:
			cancel()
		case <-sw.done:
		}
	}()
	tick := time.NewTicker(c.cfg.Retention.Interval)
	defer tick.Stop()
	for {
		select {
		case <-sw.stop:
			return
		case <-tick.C:
		}
		start := time.Now()
		n, err := c.Trim(ctx)
		if err != nil {
			c.cfg.Logger.Warn("chat: retention sweep", zap.Int("removed", n), zap.Error(err))
			continue
		}
		c.cfg.Logger.Debug("chat: retention sweep", zap.Int("removed", n), zap.Duration("took", time.Since(start)))
	}
}

// close stops the sweeper and waits for it; safe on nil and twice.
func (sw *sweeper) close() {
	if sw == nil {
		return
	}
	sw.once.Do(func() { close(sw.stop) })
	<-sw.done
}

// Close stops the retention sweeper, waiting for a sweep under way to
// stop. It does not close the store, which the host owns: close that
// after the engine has shut down and Close has returned. It is safe to
// call more than once.
func (c *Chat) Close() error {
	c.sweeper.close()
	return nil
}
