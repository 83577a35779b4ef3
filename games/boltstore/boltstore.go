// Package boltstore is the embedded, durable games.Store: one bbolt file
// that keeps matches across restarts, with a write-ahead log beside it.
// Use a file of its own beside the chat's (a bbolt file is opened by one
// store at a time).
//
// A write (Create, Append) is checked against the store, appended to the
// log file (path + ".log") and synced there with the writes that queued
// meanwhile, one fdatasync per batch; then it returns, so a move the
// module acks is durable. A second goroutine applies the logged writes to
// the bbolt file behind it, in log order, a few times a second
// (Options.ApplyDelay), with bbolt's own synced commits, and records in
// the file how far it has applied the log; the moves of a match that goes
// on wait up to Options.MatchDelay, so that a commit writes the match's
// pages once for several of them. Reads wait until the bbolt
// file has the writes acked before they began. Open replays into the
// bbolt file the logged writes it does not have (after a crash), up to the
// first record that is torn or fails its CRC. Keep the two files together:
// after a crash, the bbolt file alone may lack the last writes.
package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"sync"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	bolt "go.etcd.io/bbolt"

	"github.com/parlorhq/parlor/games"
)

// Options configures Open. Every field documents its zero-value default.
type Options struct {
	// MaxBatchSize is the most writes logged and synced together.
	// Default: 1000 (DefaultMaxBatchSize).
	MaxBatchSize int
	// LogSize is the size of the log file, preallocated with zeros when
	// it is created (a log that exists keeps its size until Open's
	// recovery has emptied it, then takes this one, growing or cutting
	// the file). The log fills one half, then the other, which by then the
	// bbolt file has applied (or writes wait until it has); a write larger
	// than half of it is refused. Default: 16 MiB (DefaultLogSize), about
	// 25 s of tic-tac-toe at 1,000 moves/s per half, so that MatchDelay
	// rather than the log decides how long moves are held.
	LogSize int64
	// ApplyDelay is how long the bbolt file lets logged writes gather
	// before it applies them in one transaction, unless a read waits for
	// them, the log writer waits for them or the store closes: fewer, larger
	// commits leave the disk to the log's syncs, which the acks wait for.
	// Default: 100ms (DefaultApplyDelay). Negative: apply at once.
	ApplyDelay time.Duration
	// MatchDelay is how long the moves of a match that goes on may stay
	// in the log before the bbolt file applies them, all together (each
	// match between half of it and all of it, by a hash of its id, so that
	// matches started together are not applied together): a commit writes
	// a match's pages once for all its moves of that time instead of once
	// per move, so the bbolt file's commits are smaller and take less of
	// the disk from the log's syncs. A match's writes are applied at once
	// when it finishes, when the log has taken a quarter of its size after
	// its oldest held write, when a read of the match (Load, Entries)
	// waits for them, and every match's when Waiting reads, when the log
	// needs the half that holds them, at Close, and when a finished game
	// is written with no entries (those logged before it: a restart could
	// not tell such a write applied). Creations and finished games are
	// never held, so Info and Finished wait for no held move. A restart
	// replays at most about MatchDelay of the log. Default: 5s
	// (DefaultMatchDelay). Negative: moves are not held beyond ApplyDelay.
	MatchDelay time.Duration
	// LockTimeout is how long Open waits for another process to release
	// the file. Default: 5s (DefaultLockTimeout).
	LockTimeout time.Duration
	// Mode is the files' permission bits when they are created. Default:
	// 0600.
	Mode os.FileMode
	// Observe, if set, is called after each batch the log writer syncs
	// with where its time went (see Batch), for the module's load tools.
	// It runs on the log writer's goroutine and must return quickly.
	// Default: nil, and no timings are taken.
	Observe func(*Batch)
	// ObserveAnswer, if set, is called by each write (Create, Append) that
	// was logged, on its own goroutine, with how long its answer took to
	// reach it after the log's sync returned: the wait for the log writer
	// to send it and then for the write's goroutine to run again.
	// Default: nil.
	ObserveAnswer func(time.Duration)
	// ObserveCommit, if set, is called after each transaction the applier
	// commits to the bbolt file, on the applier's goroutine, with what it
	// wrote (see Commit). It must return quickly. Default: nil.
	ObserveCommit func(Commit)
}

// Defaults of Options.
const (
	DefaultMaxBatchSize = 1000
	DefaultLogSize      = 16 << 20
	DefaultApplyDelay   = 100 * time.Millisecond
	DefaultMatchDelay   = 5 * time.Second
	DefaultLockTimeout  = 5 * time.Second
)

// withDefaults returns o with its zero fields set to their defaults.
func (o Options) withDefaults() Options {
	if o.MaxBatchSize <= 0 {
		o.MaxBatchSize = DefaultMaxBatchSize
	}
	if o.LogSize <= 0 {
		o.LogSize = DefaultLogSize
	}
	if o.ApplyDelay == 0 {
		o.ApplyDelay = DefaultApplyDelay
	}
	if o.MatchDelay == 0 {
		o.MatchDelay = DefaultMatchDelay
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	if o.Mode == 0 {
		o.Mode = 0o600
	}
	return o
}

// Store is a games.Store in a bbolt file and its log. It is safe for
// concurrent use.
type Store struct {
	db   *bolt.DB
	log  *logFile
	opts Options

	cmu    sync.RWMutex // closed, sends on queue, and calls against Close
	closed bool
	queue  chan *request // writes for the log writer
	logged chan struct{} // closed when the log writer has exited

	// The log writer's own state (writer.go).
	gen      uint64    // generation of the records being written
	half     int       // the half of the log they go to
	halfLast [2]uint64 // per half, the last op logged in it
	tail     int64     // offset of the next record
	lsn      uint64    // number of the last op logged, from 1 since Open
	written  int64     // bytes of log gone through since Open: records, and the unused ends of halves
	buf      []byte    // the batch's records
	pay      []byte    // one op's payload
	taken    []*request
	obs      Batch

	// State shared by the log writer, the applier and the readers.
	mu         sync.Mutex
	pending    map[string]*pend  // matches with ops logged, not yet applied
	toApply    []*op             // logged ops for the applier, in order
	loggedLSN  uint64            // the last op logged and synced
	loggedPos  int64             // written, as of the last op logged and synced
	appliedLSN uint64            // the last op up to which the bbolt file has every op
	takenLSN   uint64            // the last op the applier took (applied or held)
	force      bool              // apply every op, the held ones too, at once
	wanted     map[string]uint64 // matches to apply at once, held ops too: reads wait for their ops up to this one
	appliedCh  chan struct{}     // closed and replaced when appliedLSN moves
	failed     error             // set once the log or the bbolt file failed
	stopApply  bool              // Close: apply what is left and exit
	applyWake  chan struct{}     // wakes the applier (one token)
	applyNow   chan struct{}     // ends the applier's ApplyDelay (one token)
	applyDone  chan struct{}     // closed when the applier has exited

	hold chan struct{} // tests: the applier waits on it before each transaction
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
	bucketMeta     = []byte("meta")     // keyApplied -> how far the log is applied
	allBuckets     = [][]byte{bucketMatches, bucketHeads, bucketLog, bucketFinished, bucketHistory, bucketMeta}
)

// initialMmapSize is the bbolt file's first memory map: address space,
// not memory. bbolt maps the file again whenever it outgrows the map, and
// meanwhile every read waits, the log writer's checks among them: with
// bbolt's default (the file's size, doubling) that happened a dozen times
// in the first minute of a busy store, each a stall of milliseconds.
const initialMmapSize = 1 << 30

// keyApplied is the meta key of the position after the last log record
// the bbolt file has: generation ‖ offset, 8 bytes each.
var keyApplied = []byte("log-applied")

// Open opens or creates the store in the bbolt file at path and its log
// at path + ".log", and replays into the bbolt file the logged writes it
// does not have.
func Open(path string, opts Options) (*Store, error) {
	return open(path, opts, nil)
}

// open is Open, with hold (tests) making the applier wait on it.
func open(path string, opts Options, hold chan struct{}) (*Store, error) {
	opts = opts.withDefaults()
	db, err := bolt.Open(path, opts.Mode, &bolt.Options{
		Timeout:         opts.LockTimeout,
		NoFreelistSync:  true,
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: initialMmapSize,
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
	lf, err := openLog(path+".log", opts.LogSize, opts.Mode)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("boltstore: open the log of %s: %w", path, err)
	}
	s := &Store{
		db: db, log: lf, opts: opts,
		queue:     make(chan *request, opts.MaxBatchSize),
		logged:    make(chan struct{}),
		pending:   make(map[string]*pend),
		appliedCh: make(chan struct{}),
		applyWake: make(chan struct{}, 1),
		applyNow:  make(chan struct{}, 1),
		applyDone: make(chan struct{}),
		hold:      hold,
	}
	if err := s.recover(); err != nil {
		_ = lf.close()
		_ = db.Close()
		return nil, fmt.Errorf("boltstore: recover %s: %w", path, err)
	}
	go s.runLog()
	go s.runApply()
	return s, nil
}

// Close logs and applies the writes already queued, stops the store's
// goroutines and closes the files. It is safe to call more than once;
// later calls of other methods fail with games.ErrStoreClosed.
func (s *Store) Close() error {
	s.cmu.Lock()
	if s.closed {
		s.cmu.Unlock()
		return nil
	}
	s.closed = true
	close(s.queue)
	s.cmu.Unlock()
	<-s.logged
	s.mu.Lock()
	s.stopApply = true
	s.mu.Unlock()
	s.wakeApplier()
	s.hurryApplier()
	<-s.applyDone
	err := s.log.close()
	if derr := s.db.Close(); err == nil {
		err = derr
	}
	return err
}

// view runs fn in a read transaction, once the bbolt file has every
// write of match acked so far, or with match "" every write.
func (s *Store) view(ctx context.Context, match string, fn func(tx *bolt.Tx) error) error {
	return s.read(ctx, func() error { return s.waitApplied(ctx, match) }, fn)
}

// viewTaken runs fn in a read transaction, once the bbolt file has every
// finished game and every creation of match acked so far, or with match
// "" of every match (see waitTaken).
func (s *Store) viewTaken(ctx context.Context, match string, fn func(tx *bolt.Tx) error) error {
	return s.read(ctx, func() error { return s.waitTaken(ctx, match) }, fn)
}

// read runs fn in a read transaction once wait has returned.
func (s *Store) read(ctx context.Context, wait func() error, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.cmu.RLock()
	defer s.cmu.RUnlock()
	if s.closed {
		return games.ErrStoreClosed
	}
	if err := wait(); err != nil {
		return err
	}
	return s.db.View(fn)
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
	o, err := createOp(&m)
	if err != nil {
		return err
	}
	return s.write(ctx, o)
}

// Append implements games.Store.
func (s *Store) Append(ctx context.Context, w games.Write) error {
	o, err := appendOp(&w)
	if err != nil {
		return err
	}
	return s.write(ctx, o)
}

// Load implements games.Store.
func (s *Store) Load(ctx context.Context, id string) (games.MatchInfo, []games.Entry, error) {
	var info games.MatchInfo
	var log []games.Entry
	err := s.view(ctx, id, func(tx *bolt.Tx) error {
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
	err := s.view(ctx, id, func(tx *bolt.Tx) error {
		var err error
		out, err = entries(tx, id, after, limit)
		return err
	})
	return out, err
}

// entries reads up to limit (negative: all) of match's entries after
// seq after.
func entries(tx *bolt.Tx, match string, after uint64, limit int) ([]games.Entry, error) {
	if after == math.MaxUint64 {
		return nil, nil // nothing comes after it (after+1 would wrap to the start)
	}
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
