package boltstore

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// recover replays into the bbolt file the ops of the log's records it
// does not have (see wal.Log.Unapplied), in one synced transaction,
// clears the log and sets the writer to start a new generation at the
// top of its first half. The ops run as they ran when they were logged,
// on the file as it was then, so they store the same entries with the
// same seqs; one that refuses (it cannot, but for a bug) changes nothing
// and is passed over.
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
	if len(recs) > 0 {
		err := s.db.Update(func(tx *bolt.Tx) error {
			for i, r := range recs {
				o, err := decodeOp(r.Payload)
				if err != nil {
					return fmt.Errorf("log record %d of generation %d: %w", i, r.Gen, err)
				}
				if err := s.apply(tx, o); err != nil {
					if _, refused := unrefuse(err); !refused {
						return fmt.Errorf("log record %d of generation %d: %w", i, r.Gen, err)
					}
				}
			}
			if err := s.cache.flush(tx); err != nil {
				return err
			}
			last := recs[len(recs)-1]
			return putApplied(tx, last.Gen, last.End)
		})
		if err != nil {
			s.cache.drop()
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
	s.nextDue = 0
	return s.db.View(func(tx *bolt.Tx) error {
		s.commitTx = tx.ID()
		return nil
	})
}

// putApplied records in tx that the log is applied up to offset end of
// generation gen.
func putApplied(tx *bolt.Tx, gen uint64, end int64) error {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 16), gen)
	v = binary.BigEndian.AppendUint64(v, uint64(end))
	return tx.Bucket(bucketStore).Put(keyApplied, v)
}

// storedApplied reads the log position recorded by putApplied; zero if
// none.
func storedApplied(tx *bolt.Tx) (gen uint64, end int64) {
	v := tx.Bucket(bucketStore).Get(keyApplied)
	if len(v) != 16 {
		return 0, 0
	}
	return binary.BigEndian.Uint64(v), int64(binary.BigEndian.Uint64(v[8:]))
}
