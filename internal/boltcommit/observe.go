package boltcommit

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

// Commit tells an observer (NewObserved) where the time of one
// transaction went, from the first write's call of Write to the commit's
// end. It is reused: an observer copies what it keeps before returning.
type Commit struct {
	// Writes is the number of writes committed (or failed) together.
	Writes int
	// Queued is, per write, how long it waited for the writer to take it:
	// the transaction before it, with its commit and syncs, still under
	// way.
	Queued []time.Duration
	// Waited is, per write, how long it then waited for more writes to
	// join its transaction (the adaptive wait, see waitLimit).
	Waited []time.Duration
	// Body is how long the writes' functions took, in the last attempt.
	Body time.Duration
	// Commit is how long bbolt's Tx.Commit took.
	Commit time.Duration
	// Spill is the part of Commit that rebalanced and spilled the changed
	// nodes into pages (CPU).
	Spill time.Duration
	// Write is the part of Commit that wrote the dirty pages, synced the
	// file, wrote the meta page and synced it again (bbolt's
	// TxStats.WriteTime). The rest of Commit is the freelist, and growing
	// and remapping the file when it fills.
	Write time.Duration
	// Pages is the number of page writes (pwrite calls), meta included.
	Pages int
	// Retries is how many times the transaction ran again without a write
	// that failed.
	Retries int
	// Err is the commit's error.
	Err error
}

// timeQueue records, for an observer, how long each write of batch
// waited before the writer took the first (taken) and then until the
// transaction started.
func (w *Writer) timeQueue(batch []*request, taken, start time.Time) {
	o := &w.obs
	o.Writes, o.Retries, o.Err = len(batch), 0, nil
	o.Queued, o.Waited = o.Queued[:0], o.Waited[:0]
	for _, r := range batch {
		from := taken
		if r.at.After(taken) {
			from = r.at
		}
		o.Queued = append(o.Queued, max(taken.Sub(r.at), 0))
		o.Waited = append(o.Waited, max(start.Sub(from), 0))
	}
}

// timeCommit records, for an observer, the body and commit of tx.
func (w *Writer) timeCommit(tx *bolt.Tx, began, body, end time.Time) {
	st := tx.Stats()
	o := &w.obs
	o.Body = body.Sub(began)
	o.Commit = end.Sub(body)
	o.Spill = st.GetSpillTime() + st.GetRebalanceTime()
	o.Write = st.GetWriteTime()
	o.Pages = int(st.GetWrite())
}
