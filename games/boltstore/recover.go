package boltstore

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// recover replays into the bbolt file the ops of the log's records it
// does not have, in one synced transaction, and sets the log writer to
// start a new generation from offset 0.
//
// The bbolt file records how far it has applied the log (generation and
// offset). If the log's first record is of that generation, the records
// after that offset are replayed; if it is of a newer one, which the
// bbolt file has none of, all of that generation's; if it is older or
// torn, none (the log started again only once the bbolt file had it
// all). A scan stops at the first record that is torn, fails its CRC or
// belongs to another generation: the records after it were never acked,
// since a batch is answered only once it is synced whole. Then the log
// is cleared.
func (s *Store) recover() error {
	var gen uint64
	var off int64
	if err := s.db.View(func(tx *bolt.Tx) error {
		gen, off = storedApplied(tx)
		return nil
	}); err != nil {
		return err
	}
	first, ok, err := s.log.firstGen()
	if err != nil {
		return err
	}
	var payloads [][]byte
	var end int64
	switch {
	case ok && first == gen && gen != 0:
		payloads, end, err = s.log.scan(gen, off)
	case ok && first > gen:
		gen = first
		payloads, end, err = s.log.scan(gen, 0)
	}
	if err != nil {
		return err
	}
	if len(payloads) > 0 {
		ops := make([]*op, len(payloads))
		for i, p := range payloads {
			if ops[i], err = decodeOp(p); err != nil {
				return fmt.Errorf("log record %d of generation %d: %w", i, gen, err)
			}
		}
		ops[len(ops)-1].gen, ops[len(ops)-1].end = gen, end
		if err := s.db.Update(func(tx *bolt.Tx) error { return applyOps(tx, ops) }); err != nil {
			return fmt.Errorf("replay the log: %w", err)
		}
	}
	// Every record is in the bbolt file now. Clearing the log makes sure
	// that no record written before this Open (such as one that followed
	// a torn one) is ever read as one of the generations to come.
	if s.log.old {
		if err := zeroFill(s.log.f, 0, s.log.size); err != nil {
			return fmt.Errorf("clear the log: %w", err)
		}
	}
	s.gen = max(gen, first) + 1
	s.tail = 0
	return nil
}
