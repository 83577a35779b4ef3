package boltstore

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// recover replays into the bbolt file the ops of the log's records it
// does not have, in one synced transaction, clears the log and sets the
// log writer to start a new generation at the top of its first half.
//
// The bbolt file records how far it has applied the log (generation and
// offset). Each half of the log holds one generation, named by its first
// record; the writer moves to the other half (with the next generation)
// only once the bbolt file has everything that half held, so the halves
// hold at most the two generations it may lack. Taken in order of
// generation, a half of the recorded generation is replayed from the
// recorded offset, a half of a newer one from its top, and an older one
// not at all. A scan stops at the first record that is torn, fails its
// CRC or belongs to another generation: the records after it were never
// acked, since a batch is answered only once it is synced whole.
func (s *Store) recover() error {
	var gen uint64
	var off int64
	if err := s.db.View(func(tx *bolt.Tx) error {
		gen, off = storedApplied(tx)
		return nil
	}); err != nil {
		return err
	}
	recs, top, err := s.log.Unapplied(gen, off)
	if err != nil {
		return err
	}
	ops := make([]*op, 0, len(recs))
	for i, r := range recs {
		o, err := decodeOp(r.Payload)
		if err != nil {
			return fmt.Errorf("log record %d of generation %d: %w", i, r.Gen, err)
		}
		o.gen, o.end = r.Gen, r.End
		ops = append(ops, o)
	}
	if len(ops) > 0 {
		last := ops[len(ops)-1]
		if err := s.db.Update(func(tx *bolt.Tx) error { return applyOps(tx, ops, logPos{last.gen, last.end}, true) }); err != nil {
			return fmt.Errorf("replay the log: %w", err)
		}
	}
	// Every record is in the bbolt file now. Clearing the log makes sure
	// that no record written before this Open (such as one that followed
	// a torn one) is ever read as one of the generations to come.
	if err := s.log.Reset(); err != nil {
		return fmt.Errorf("clear the log: %w", err)
	}
	s.gen = top + 1
	s.half, s.tail = 0, 0
	return nil
}
