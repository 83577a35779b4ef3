package boltstore

import (
	bolt "go.etcd.io/bbolt"
)

// rawUpdate closes s, which commits what it logged, and runs fn in a
// write transaction of its bbolt file opened alone: for tests that make
// the file look like one written by an older version.
func rawUpdate(s *Store, fn func(tx *bolt.Tx) error) error {
	path := s.db.Path()
	if err := s.Close(); err != nil {
		return err
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		return err
	}
	if err := db.Update(fn); err != nil {
		_ = db.Close()
		return err
	}
	return db.Close()
}
