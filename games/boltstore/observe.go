package boltstore

import "time"

// Batch tells an observer (Options.Observe) where the time of one batch
// of the log writer went. It is reused: an observer copies what it keeps
// before returning.
type Batch struct {
	// Writes is the number of writes the log writer took together.
	Writes int
	// Queued is, per write, how long it waited for the log writer to take
	// it: mostly the batch before it, with its sync, still under way.
	Queued []time.Duration
	// Check is how long checking the writes and framing their records
	// took.
	Check time.Duration
	// Write is how long writing the records to the log (one pwrite) took.
	Write time.Duration
	// Sync is how long the log's fdatasync took.
	Sync time.Duration
	// Full is how long the batch waited, with one half of the log full,
	// for the bbolt file to apply what the other held before the log
	// went on there.
	Full time.Duration
	// Bytes is the size of the records written.
	Bytes int
	// Err is the log's error, if writing or syncing it failed.
	Err error
}

// begin starts the record of a batch taken at taken.
func (b *Batch) begin(batch []*request, taken time.Time) {
	b.Writes, b.Check, b.Write, b.Sync, b.Full, b.Bytes, b.Err = len(batch), 0, 0, 0, 0, 0, nil
	b.Queued = b.Queued[:0]
	for _, r := range batch {
		b.Queued = append(b.Queued, max(taken.Sub(r.at), 0))
	}
}

// Commit tells an observer (Options.ObserveCommit) what one transaction
// of the applier wrote to the bbolt file.
type Commit struct {
	// Ops is the number of logged writes applied.
	Ops int
	// Held is the number of logged writes held back for later (see
	// Options.MatchDelay).
	Held int
	// Pages is the number of pages the transaction wrote.
	Pages int64
	// Took is how long the transaction took, its page writes and syncs
	// included.
	Took time.Duration
}
