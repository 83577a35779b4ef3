package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// fileStats is what stats reports about a file.
type fileStats struct {
	path     string
	size     int64 // bytes on disk
	pageSize int
	pages    int64 // pages up to the high-water mark, free ones included
	free     int   // free pages: reused by bbolt, given back only by compact
	buckets  []bucketStats
}

// bucketStats is one top-level bucket's share of the file.
type bucketStats struct {
	name  string
	keys  int
	bytes int // bytes of pages in use, branch and leaf
}

// used is the size the data would take in a compacted file, roughly.
func (s fileStats) used() int64 { return (s.pages - int64(s.free)) * int64(s.pageSize) }

func runStats(f statsFlags, w io.Writer) error {
	db, err := openReadOnly(f.path, f.lockTimeout)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := readStats(db)
	if err != nil {
		return err
	}
	printStats(w, st)
	return nil
}

// openReadOnly opens path read-only with a shared lock, waiting at most
// timeout for a writer (a running server) to release it.
func openReadOnly(path string, timeout time.Duration) (*bolt.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0, &bolt.Options{ReadOnly: true, Timeout: timeout, PreLoadFreelist: true})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%s is in use: stop the server that has it open", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// readStats reads the file's size, pages and buckets.
func readStats(db *bolt.DB) (fileStats, error) {
	fi, err := os.Stat(db.Path())
	if err != nil {
		return fileStats{}, err
	}
	st := fileStats{path: db.Path(), size: fi.Size(), pageSize: db.Info().PageSize}
	dbs := db.Stats()
	st.free = dbs.FreePageN + dbs.PendingPageN
	err = db.View(func(tx *bolt.Tx) error {
		st.pages = tx.Size() / int64(st.pageSize)
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			bs := b.Stats()
			st.buckets = append(st.buckets, bucketStats{name: string(name), keys: bs.KeyN, bytes: bs.BranchInuse + bs.LeafInuse})
			return nil
		})
	})
	return st, err
}

// countKeys returns the number of keys of each top-level bucket.
func countKeys(db *bolt.DB) (map[string]int, error) {
	st, err := readStats(db)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(st.buckets))
	for _, b := range st.buckets {
		out[b.name] = b.keys
	}
	return out, nil
}
