// Package boltstore is the embedded, durable games.Store: one bbolt file
// that keeps matches across restarts. Use a file of its own beside the
// chat's (a bbolt file is opened by one store at a time).
//
// Writes go to one writer goroutine that commits them in groups
// (internal/boltcommit), so that under load the writes of many match rooms share one
// commit and its syncs, while a lone write waits for nothing but its own
// commit. A write returns once its transaction is on disk, so a move the
// module acks is durable.
package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	bolt "go.etcd.io/bbolt"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/internal/boltcommit"
)

// Options configures Open. Every field documents its zero-value default.
type Options struct {
	// MaxBatchDelay bounds how long the writer holds a transaction open
	// for more writes. It holds one only while writes are queuing (the
	// previous transaction had more than one), only until as many
	// writes as last time have arrived, and never longer than the last
	// transaction took to commit: a lone write never waits.
	// Default: 2ms (DefaultMaxBatchDelay). Negative: never wait.
	MaxBatchDelay time.Duration
	// MaxBatchSize is the most writes committed in one transaction.
	// Default: 1000 (DefaultMaxBatchSize).
	MaxBatchSize int
	// LockTimeout is how long Open waits for another process to release
	// the file. Default: 5s (DefaultLockTimeout).
	LockTimeout time.Duration
	// Mode is the file's permission bits when it is created. Default:
	// 0600.
	Mode os.FileMode
	// Observe, if set, is called after each transaction with where its
	// time went (queue, wait, body, commit), for the module's load tools.
	// It runs on the writer goroutine and must return quickly. Default:
	// nil, and no timings are taken.
	Observe func(*boltcommit.Commit)
}

// Defaults of Options.
const (
	DefaultMaxBatchDelay = 2 * time.Millisecond
	DefaultMaxBatchSize  = 1000
	DefaultLockTimeout   = 5 * time.Second
)

// Store is a games.Store in a bbolt file. It is safe for concurrent use.
type Store struct {
	db *bolt.DB
	w  *boltcommit.Writer // every write transaction, and Close
}

var _ games.Store = (*Store)(nil)

// Buckets. Keys start with length-prefixed parts (see part), so the keys
// of one match or one user form one contiguous range.
var (
	bucketMatches  = []byte("matches")  // match -> MatchInfo
	bucketHeads    = []byte("heads")    // match -> seq of the newest entry (8 bytes)
	bucketLog      = []byte("log")      // match ‖ seq -> Entry
	bucketFinished = []byte("finished") // match -> FinishedGame
	bucketHistory  = []byte("history")  // user ‖ ended ‖ match -> nothing (see history.go)
	allBuckets     = [][]byte{bucketMatches, bucketHeads, bucketLog, bucketFinished, bucketHistory}
)

// Open opens or creates the store in the file at path.
func Open(path string, opts Options) (*Store, error) {
	if opts.MaxBatchDelay == 0 {
		opts.MaxBatchDelay = DefaultMaxBatchDelay
	}
	if opts.MaxBatchSize <= 0 {
		opts.MaxBatchSize = DefaultMaxBatchSize
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = DefaultLockTimeout
	}
	if opts.Mode == 0 {
		opts.Mode = 0o600
	}
	db, err := bolt.Open(path, opts.Mode, &bolt.Options{
		Timeout:        opts.LockTimeout,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("boltstore: init %s: %w", path, err)
	}
	w := boltcommit.NewObserved(db, opts.MaxBatchSize, opts.MaxBatchDelay, games.ErrStoreClosed, opts.Observe)
	return &Store{db: db, w: w}, nil
}

// Close commits the writes already queued, stops the writer and closes
// the file. It is safe to call more than once; later calls of other
// methods fail with games.ErrStoreClosed.
func (s *Store) Close() error { return s.w.Close() }

// view runs fn in a read transaction.
func (s *Store) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	return s.w.View(ctx, fn)
}

// update runs fn in a write transaction shared with other writes (group
// commit, boltcommit.Writer.Write); fn may run more than once.
func (s *Store) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	return s.w.Write(ctx, fn)
}

// part appends a length-prefixed key part.
func part(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// logKey is the key of a match's entry with seq.
func logKey(match string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(part(make([]byte, 0, 2+len(match)+8), match), seq)
}

// Create implements games.Store.
func (s *Store) Create(ctx context.Context, m games.MatchInfo) error {
	raw, err := msgpack.Marshal(&m)
	if err != nil {
		return err
	}
	id := []byte(m.ID)
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMatches)
		if b.Get(id) != nil {
			return games.ErrMatchExists
		}
		return b.Put(id, raw)
	})
}

// Append implements games.Store.
func (s *Store) Append(ctx context.Context, w games.Write) error {
	vals := make([][]byte, len(w.Entries))
	for i := range w.Entries {
		raw, err := msgpack.Marshal(&w.Entries[i])
		if err != nil {
			return err
		}
		vals[i] = raw
	}
	var fin []byte
	if w.Finished != nil {
		raw, err := msgpack.Marshal(w.Finished)
		if err != nil {
			return err
		}
		fin = raw
	}
	id := []byte(w.Match)
	return s.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMatches).Get(id) == nil {
			return games.ErrNotFound
		}
		heads := tx.Bucket(bucketHeads)
		var head uint64
		if v := heads.Get(id); len(v) == 8 {
			head = binary.BigEndian.Uint64(v)
		}
		for i, e := range w.Entries {
			if e.Seq != head+uint64(i)+1 {
				return games.ErrSeqConflict
			}
		}
		log := tx.Bucket(bucketLog)
		for i, e := range w.Entries {
			if err := log.Put(logKey(w.Match, e.Seq), vals[i]); err != nil {
				return err
			}
		}
		if n := len(w.Entries); n > 0 {
			if err := heads.Put(id, binary.BigEndian.AppendUint64(nil, w.Entries[n-1].Seq)); err != nil {
				return err
			}
		}
		if w.Finished != nil {
			return putFinished(tx, w.Finished, fin)
		}
		return nil
	})
}

// Load implements games.Store.
func (s *Store) Load(ctx context.Context, id string) (games.MatchInfo, []games.Entry, error) {
	var info games.MatchInfo
	var log []games.Entry
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMatches).Get([]byte(id))
		if v == nil {
			return games.ErrNotFound
		}
		if err := msgpack.Unmarshal(v, &info); err != nil {
			return err
		}
		var err error
		log, err = entries(tx, id, 0, -1)
		return err
	})
	if err != nil {
		return games.MatchInfo{}, nil, err
	}
	return info, log, nil
}

// Entries implements games.Store.
func (s *Store) Entries(ctx context.Context, id string, after uint64, limit int) ([]games.Entry, error) {
	if limit <= 0 {
		return nil, nil
	}
	var out []games.Entry
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = entries(tx, id, after, limit)
		return err
	})
	return out, err
}

// entries reads up to limit (negative: all) of match's entries after
// seq after.
func entries(tx *bolt.Tx, match string, after uint64, limit int) ([]games.Entry, error) {
	prefix := part(nil, match)
	var out []games.Entry
	c := tx.Bucket(bucketLog).Cursor()
	for k, v := c.Seek(logKey(match, after+1)); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, v = c.Next() {
		if limit >= 0 && len(out) >= limit {
			break
		}
		var e games.Entry
		if err := msgpack.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("boltstore: entry %x: %w", k, err)
		}
		out = append(out, e)
	}
	return out, nil
}
