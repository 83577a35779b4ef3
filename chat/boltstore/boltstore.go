// Package boltstore is the embedded, durable chat.Store: one bbolt file
// that survives restarts, with a write-ahead log beside it.
//
// Writes from all rooms go to one writer goroutine. It takes every write
// queued since its last batch, runs each on one bbolt write transaction
// that it keeps open across batches, appends a record of each to the log
// file (path + ".log"), syncs the log once for the batch (fdatasync) and
// answers them: a write returns once its record is on disk, so a message
// the module acks is durable. The open transaction is committed, with the
// log position it covers, every Options.ApplyDelay, or at once when a read
// needs one of its writes: many writes share its B+tree pages and its two
// syncs. Open replays into the bbolt file the logged writes it does not
// have (after a crash), up to the first record that is torn or fails its
// CRC. Keep the two files together: after a crash, the bbolt file alone
// may lack the last writes (docs/chat.md says what a backup copies).
package boltstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"os"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/internal/wal"
)

// Options configures Open. Every field documents its zero-value default.
type Options struct {
	// MaxBatchSize is the most writes logged and synced together.
	// Default: 1000 (DefaultMaxBatchSize).
	MaxBatchSize int
	// MaxBatchDelay bounds how long the writer waits for more writes
	// before it syncs a batch to the log. It waits only while writes are
	// queuing (the previous batch had more than one), only until as many
	// writes as last time have arrived, and never longer than the last
	// batch took to log: a lone write never waits, and under load fewer,
	// larger batches share each sync. Default: 2ms
	// (DefaultMaxBatchDelay). Negative: never wait.
	MaxBatchDelay time.Duration
	// LogSize is the size of the log file, preallocated with zeros when
	// it is created. The log fills one half, then commits the bbolt
	// transaction and goes on in the other; a write larger than half of
	// it is refused (ErrTooLarge). Default: 32 MiB (DefaultLogSize),
	// about a second of 100-byte messages at 40,000/s per half.
	LogSize int64
	// ApplyDelay is how long the writer keeps the bbolt transaction open
	// for more writes before it commits it, unless a read needs one of its
	// writes, the log's half is full or the store closes: fewer, larger
	// commits rewrite fewer pages per write (a commit rewrites the pages
	// its writes touched, about one per room and index, however many
	// writes share them). Default: 250ms (DefaultApplyDelay). Negative:
	// commit after every batch.
	ApplyDelay time.Duration
	// LockTimeout is how long Open waits for another process to release
	// the file. Default: 5s (DefaultLockTimeout).
	LockTimeout time.Duration
	// Mode is the files' permission bits when they are created. Default:
	// 0600.
	Mode os.FileMode
	// InboxInterval is how often, at most, a message moves its room in
	// the members' inbox index (see inbox.go): a message less than
	// InboxInterval after the room's last move leaves the index as it is
	// and marks the room pending for its members once, and reads merge
	// pending rooms in at their true place, so inbox pages stay exact.
	// Default: 1s (DefaultInboxInterval). Negative: every message moves
	// its room.
	InboxInterval time.Duration
}

// Defaults of Options.
const (
	DefaultMaxBatchSize  = 1000
	DefaultMaxBatchDelay = 2 * time.Millisecond
	DefaultLogSize       = 32 << 20
	DefaultApplyDelay    = 250 * time.Millisecond
	DefaultLockTimeout   = 5 * time.Second
	DefaultInboxInterval = time.Second
)

// withDefaults returns o with its zero fields set to their defaults.
func (o Options) withDefaults() Options {
	if o.MaxBatchSize <= 0 {
		o.MaxBatchSize = DefaultMaxBatchSize
	}
	if o.MaxBatchDelay == 0 {
		o.MaxBatchDelay = DefaultMaxBatchDelay
	}
	if o.LogSize <= 0 {
		o.LogSize = DefaultLogSize
	}
	if o.ApplyDelay == 0 {
		o.ApplyDelay = DefaultApplyDelay
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	if o.Mode == 0 {
		o.Mode = 0o600
	}
	if o.InboxInterval == 0 {
		o.InboxInterval = DefaultInboxInterval
	}
	return o
}

// ErrTooLarge is the error of a write whose log record does not fit in
// half of the log (Options.LogSize).
var ErrTooLarge = errors.New("boltstore: write larger than half of the log")

// Store is a chat.Store in a bbolt file and its log. It is safe for
// concurrent use.
//
// Reads run in bbolt read transactions, concurrently with each other and
// with the writer, on the last commit; one that may need a write logged
// but not yet committed has the writer commit first (see read.go).
type Store struct {
	db    *bolt.DB
	log   *wal.Log
	opts  Options
	epoch string
	seed  maphash.Seed // of the keys of dirty
	// interval is Options.InboxInterval in milliseconds, the unit of
	// entry times; 0: every message moves its room in the inbox index.
	interval int64

	cmu    sync.RWMutex // closed, sends on queue, and reads against Close
	closed bool
	queue  chan *request // writes for the writer
	logged chan struct{} // closed when the writer has exited

	// The writer's own state (writer.go).
	gen      uint64 // generation of the records being written
	half     int    // the half of the log they go to
	tail     int64  // offset of the next record
	lsn      uint64 // number of the last op logged, from 1 since Open
	buf      []byte // the batch's records
	pay      []byte // one op's payload
	taken    []*request
	accepted []*request
	lastN    int           // writes in the last batch
	lastTook time.Duration // how long it took to log

	// The applier's own state (apply.go).
	tx      *bolt.Tx    // the open transaction, nil if none
	txBegan time.Time   // when it began
	txOps   []*op       // the ops it holds
	cache   txCache     // the meta and receipts its appends changed
	chunk   []*op       // the ops taken from toApply
	applyAt *time.Timer // ApplyDelay after the first op of tx
	// nextDue is a hint of the earliest time a pending room is due to
	// move (see moveDue), so that most appends skip the look. Only the
	// applier uses it (and Open's replay); 0: look.
	nextDue int64

	// State shared by the writer, the applier and the readers.
	mu         sync.Mutex
	rooms      map[string]*pendRoom // pending state (check.go)
	entries    map[uint64]pendEntry
	cmids      map[uint64]pendCMID
	reads      map[uint64]pendRead
	halfLast   [2]uint64         // per half of the log, the last op logged in it
	toApply    []*op             // logged ops for the applier, in order
	maxBacklog int               // the writer waits while toApply holds as many (2 × MaxBatchSize)
	drained    chan struct{}     // closed when the applier takes ops, if the writer waits
	loggedLSN  uint64            // the last op logged and synced
	appliedLSN uint64            // the last op the bbolt file has committed
	commitTx   int               // id of the bbolt file's last published commit
	appliedCh  chan struct{}     // closed and replaced at each commit
	dirty      map[uint64]uint64 // keys (op.keys) of the ops logged, not committed -> the last op's number
	dirtyAll   uint64            // the last op logged, not committed, that changes what any read may see; 0: none
	failed     error             // set once the log or the bbolt file failed
	stopApply  bool              // Close: apply what is left, commit and exit
	applyWake  chan struct{}     // wakes the applier (one token)
	hurry      chan struct{}     // the applier commits at once (one token)
	applyDone  chan struct{}     // closed when the applier has exited
	stats      Stats

	nums roomNums // for Lookup
}

// Stats counts a store's writes since Open.
type Stats struct {
	// Writes is the number of successful writes: Append, SetRead and
	// SetSettings calls, and the rounds of Trim that removed entries.
	Writes uint64
	// Syncs is the number of batches synced to the log: Writes / Syncs
	// is how many writes share one fdatasync.
	Syncs uint64
	// Commits is the number of write transactions committed. Each one
	// syncs the file (bbolt syncs twice per commit: the data pages, then
	// the meta page). Writes / Commits is how many writes share one.
	Commits uint64
	// Pages is the number of file pages the commits wrote: every page a
	// transaction changed, B+tree branch pages included, is written whole
	// (with one write call each). Pages / Writes is the file's write
	// amplification, and most of a write's cost.
	Pages uint64
}

// Stats returns the store's counters.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	st := s.stats
	s.mu.Unlock()
	ds := s.db.Stats()
	st.Pages = uint64(ds.TxStats.GetWrite())
	return st
}

var _ chat.Store = (*Store)(nil)

// Buckets. Keys are built from length-prefixed parts (see key), so a
// room's keys form one contiguous, unambiguous range.
var (
	bucketRooms = []byte("rooms")      // room -> RoomInfo
	bucketMeta  = []byte("meta")       // room -> head, last message seq, updated, room number
	bucketLog   = []byte("log")        // room number ‖ seq -> header ‖ Message (see keys.go, unread.go)
	bucketCMIDs = []byte("cmids")      // room number ‖ from ‖ client msg id -> seq
	bucketReads = []byte("reads")      // room ‖ user -> seq
	bucketUsers = []byte("users")      // user ‖ room -> kind
	bucketInbox = []byte("inbox")      // user ‖ inbox order ‖ room -> nothing (see inbox.go)
	bucketMoves = []byte("inboxmoves") // user ‖ room -> nothing, for pending rooms (see inboxmoves.go)
	bucketDue   = []byte("inboxdue")   // indexed time ‖ room -> nothing, for pending rooms
	bucketStore = []byte("store")      // "epoch" -> the store's epoch, "roomnum" -> the last room number
	allBuckets  = [][]byte{bucketRooms, bucketMeta, bucketLog, bucketCMIDs, bucketReads, bucketUsers, bucketInbox, bucketMoves, bucketDue, bucketStore, bucketCreated, bucketSettings}
	keyEpoch    = []byte("epoch")
	keyRoomNum  = []byte("roomnum")
)

// bucketOldAuthors is an index of unread authors that files written
// before the log values' header (see unread.go) hold; Open drops it.
var bucketOldAuthors = []byte("authors")

// bucketCreated indexes groups by creator, for GroupsCreated:
// creator ‖ room -> nothing.
var bucketCreated = []byte("created")

// keyApplied is the bucketStore key of the position after the last log
// record the bbolt file has: generation ‖ offset, 8 bytes each.
var keyApplied = []byte("log-applied")

// initialMmapSize is the bbolt file's first memory map: address space,
// not memory. bbolt maps the file again whenever it outgrows the map,
// and meanwhile every read waits.
const initialMmapSize = 1 << 30

// Open opens or creates the store in the bbolt file at path and its log
// at path + ".log", and replays into the bbolt file the logged writes it
// does not have.
func Open(path string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	db, err := bolt.Open(path, opts.Mode, &bolt.Options{
		Timeout: opts.LockTimeout,
		// The free list is rebuilt when the file is opened instead of
		// being written at every commit: cheaper commits.
		NoFreelistSync:  true,
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: initialMmapSize,
	})
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	epoch, err := initFile(db)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("boltstore: init %s: %w", path, err)
	}
	lg, err := wal.Open(path+".log", opts.LogSize, opts.Mode)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("boltstore: open the log of %s: %w", path, err)
	}
	s := &Store{
		db: db, log: lg, opts: opts, epoch: epoch, seed: maphash.MakeSeed(),
		interval:   max(0, opts.InboxInterval.Milliseconds()),
		queue:      make(chan *request, opts.MaxBatchSize),
		maxBacklog: 2 * opts.MaxBatchSize,
		logged:     make(chan struct{}),
		rooms:      make(map[string]*pendRoom),
		entries:    make(map[uint64]pendEntry),
		cmids:      make(map[uint64]pendCMID),
		reads:      make(map[uint64]pendRead),
		appliedCh:  make(chan struct{}),
		dirty:      make(map[uint64]uint64),
		applyWake:  make(chan struct{}, 1),
		hurry:      make(chan struct{}, 1),
		applyDone:  make(chan struct{}),
	}
	if err := s.recover(); err != nil {
		_ = lg.Close()
		_ = db.Close()
		return nil, fmt.Errorf("boltstore: recover %s: %w", path, err)
	}
	s.applyAt = time.NewTimer(time.Hour)
	s.applyAt.Stop()
	go s.runLog()
	go s.runApply()
	return s, nil
}

// initFile creates the buckets a file lacks, builds the indexes a file
// written before them lacks, and returns the file's epoch.
func initFile(db *bolt.DB) (epoch string, err error) {
	err = db.Update(func(tx *bolt.Tx) error {
		// A file written before an index existed gets it built.
		inbox := tx.Bucket(bucketInbox) == nil && tx.Bucket(bucketUsers) != nil
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if inbox {
			if err := buildInbox(tx); err != nil {
				return err
			}
		}
		// The log's headers replace the old authors index.
		if tx.Bucket(bucketOldAuthors) != nil {
			if err := tx.DeleteBucket(bucketOldAuthors); err != nil {
				return err
			}
		}
		// The epoch is made once, with the file, and kept with it.
		meta := tx.Bucket(bucketStore)
		if v := meta.Get(keyEpoch); len(v) > 0 {
			epoch = string(v)
			return nil
		}
		epoch = newEpoch()
		return meta.Put(keyEpoch, []byte(epoch))
	})
	return epoch, err
}

// Epoch implements chat.Store: a random id made when the file was created
// and stored in it, so it survives restarts and changes with a new file.
func (s *Store) Epoch() string { return s.epoch }

// newEpoch returns a random 128-bit id in base64url.
func newEpoch() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Close logs and commits the writes already queued, stops the writer and
// closes the files. It is safe to call more than once; later calls of
// other methods fail with chat.ErrStoreClosed.
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
	s.wake(s.applyWake)
	<-s.applyDone
	err := s.log.Close()
	if derr := s.db.Close(); err == nil {
		err = derr
	}
	return err
}

// meta is a room's log state as stored: head, last message seq and
// updated, then the room's number (see keys.go), 32 bytes in all; then,
// once the room has been written with deferred inbox moves, the time its
// inbox index keys sit at and a flags byte (pending), 41 bytes. A room a
// file had before rooms were numbered has 24 bytes and number 0; one
// without the last two fields has its index keys at its true time.
type meta struct {
	head    uint64
	lastMsg uint64
	updated int64
	num     uint64
	// indexed is the time of the room's keys in the inbox index, if
	// hasIndexed (see indexTime).
	indexed    int64
	hasIndexed bool
	// pending: the room's index keys may be older than its true time,
	// and its members have keys in bucketMoves (see inboxmoves.go).
	pending bool
}

// metaPending is the flag of a pending room in meta's last byte.
const metaPending = 1 << 0

func getMeta(tx *bolt.Tx, room string) meta {
	v := tx.Bucket(bucketMeta).Get([]byte(room))
	if len(v) != 24 && len(v) != 32 && len(v) != 41 {
		return meta{}
	}
	m := meta{
		head:    binary.BigEndian.Uint64(v[0:]),
		lastMsg: binary.BigEndian.Uint64(v[8:]),
		updated: int64(binary.BigEndian.Uint64(v[16:])),
	}
	if len(v) >= 32 {
		m.num = binary.BigEndian.Uint64(v[24:])
	}
	if len(v) == 41 {
		m.indexed = int64(binary.BigEndian.Uint64(v[32:]))
		m.hasIndexed = true
		m.pending = v[40]&metaPending != 0
	}
	return m
}

func putMeta(tx *bolt.Tx, room string, m meta) error {
	v := make([]byte, 24, 41)
	binary.BigEndian.PutUint64(v[0:], m.head)
	binary.BigEndian.PutUint64(v[8:], m.lastMsg)
	binary.BigEndian.PutUint64(v[16:], uint64(m.updated))
	if m.num != 0 || m.hasIndexed {
		v = binary.BigEndian.AppendUint64(v, m.num)
	}
	if m.hasIndexed {
		v = binary.BigEndian.AppendUint64(v, uint64(m.indexed))
		var flags byte
		if m.pending {
			flags |= metaPending
		}
		v = append(v, flags)
	}
	return tx.Bucket(bucketMeta).Put([]byte(room), v)
}

// newRoomNum returns the next room number of the file.
func newRoomNum(tx *bolt.Tx) (uint64, error) {
	b := tx.Bucket(bucketStore)
	n := getUint(b.Get(keyRoomNum)) + 1
	if n >= maxRoomNum {
		return 0, errors.New("boltstore: out of room numbers")
	}
	return n, b.Put(keyRoomNum, be64(n))
}

// Append implements chat.Store.
func (s *Store) Append(ctx context.Context, w chat.Write) (chat.Message, bool, error) {
	e := w.Entry
	if e.Room == "" {
		return chat.Message{}, false, errors.New("boltstore: entry has no room id")
	}
	if w.Room != nil && w.Room.ID != e.Room {
		return chat.Message{}, false, errors.New("boltstore: room record is for another room")
	}
	if err := checkWriteKeys(w); err != nil {
		return chat.Message{}, false, err
	}
	// The op keeps copies: the applier reads them after Append returns.
	o := &op{kind: opAppend, room: e.Room, w: chat.Write{Entry: e.Clone()}}
	if w.Update != nil {
		u := w.Update.Clone()
		o.w.Update = &u
	}
	if w.Room != nil {
		info := w.Room.Clone()
		o.w.Room = &info
	}
	if w.Read != nil {
		read := *w.Read
		o.w.Read = &read
	}
	var err error
	if w.Encoded != nil {
		o.entry = entryValue(e, w.Encoded) // the module's encoding, once
	} else if o.entry, err = encodeEntry(e); err != nil {
		return chat.Message{}, false, err
	}
	if w.Update != nil {
		if o.update, err = encodeEntry(*w.Update); err != nil {
			return chat.Message{}, false, err
		}
	}
	if w.Room != nil {
		if o.info, err = codec.MarshalData(w.Room); err != nil {
			return chat.Message{}, false, err
		}
	}
	if w.Read != nil {
		o.readK = readKey(e.Room, w.Read.User) // built here rather than in the writer goroutine
	}
	r := s.newRequest(o)
	o.keys[0] = s.roomKey(e.Room)
	if e.ClientMsgID != "" {
		o.keys[1] = s.cmidHash(e.Room, e.From, e.ClientMsgID)
	}
	if w.Update != nil {
		o.keys[2] = s.entryHash(e.Room, w.Update.Seq)
	}
	if err := s.write(ctx, r); err != nil {
		return chat.Message{}, false, err
	}
	if o.dup != nil {
		return *o.dup, true, nil
	}
	return e.Clone(), false, nil // as stored
}

// applyAppend runs an opAppend in tx. It refuses (see refusal) before
// changing anything when the entry's seq is not the head + 1 or the entry
// it updates is missing.
func (s *Store) applyAppend(tx *bolt.Tx, o *op) error {
	w, e := o.w, o.w.Entry
	o.dup = nil
	m := s.cache.meta(tx, e.Room)
	logB := tx.Bucket(bucketLog)
	var cmidK []byte
	if e.ClientMsgID != "" && m.head > 0 && !o.checked { // check looked already
		cmidK = cmidKey(logPrefix(e.Room, m), e.From, e.ClientMsgID)
		if v := tx.Bucket(bucketCMIDs).Get(cmidK); len(v) == 8 {
			m, err := getEntryAt(tx, e.Room, logPrefix(e.Room, m), binary.BigEndian.Uint64(v))
			if err == nil {
				o.dup = &m
			}
			return err
		}
	}
	if e.Seq != m.head+1 {
		return refuse(chat.ErrSeqConflict)
	}
	if w.Update != nil && (w.Update.Seq == 0 || m.head == 0 ||
		logB.Get(entryKey(logPrefix(e.Room, m), w.Update.Seq)) == nil) {
		return refuse(chat.ErrNotFound)
	}
	if m.head == 0 && m.num == 0 {
		// A new room gets a number, which keys its log.
		var err error
		if m.num, err = newRoomNum(tx); err != nil {
			return err
		}
	}
	prefix := logPrefix(e.Room, m)
	var old *chat.RoomInfo
	if !s.deferred(w, m) {
		var err error
		if old, err = indexedRoom(tx, w); err != nil {
			return err
		}
	}
	oldTime := indexTime(m, old)
	if w.Update != nil {
		if err := logB.Put(entryKey(prefix, w.Update.Seq), o.update); err != nil {
			return err
		}
	}
	if w.Room != nil {
		if err := putRoom(tx, old, *w.Room, o.info); err != nil {
			return err
		}
	}
	if err := logB.Put(entryKey(prefix, e.Seq), o.entry); err != nil {
		return err
	}
	if e.ClientMsgID != "" {
		if cmidK == nil {
			cmidK = cmidKey(prefix, e.From, e.ClientMsgID)
		}
		if err := tx.Bucket(bucketCMIDs).Put(cmidK, be64(e.Seq)); err != nil {
			return err
		}
	}
	switch {
	case o.checked && o.readMoves: // check read the seq already
		s.cache.setRead(e.Room, w.Read.User, o.readK, w.Read.Seq)
	case w.Read != nil && !o.checked:
		cur, ok := s.cache.read(e.Room, w.Read.User)
		if !ok {
			cur = getUint(tx.Bucket(bucketReads).Get(o.readK))
		}
		if w.Read.Seq > cur {
			s.cache.setRead(e.Room, w.Read.User, o.readK, w.Read.Seq)
		}
	}
	m.head = e.Seq
	if e.Kind == chat.KindMessage {
		m.lastMsg = e.Seq
	}
	if e.Kind == chat.KindMessage || e.Kind == chat.KindMembers {
		m.updated = e.Time
	}
	if err := s.reindex(tx, e.Room, old, w.Room, oldTime, &m); err != nil {
		return err
	}
	s.cache.setMeta(e.Room, m)
	if e.Kind == chat.KindMessage || e.Kind == chat.KindMembers {
		next := w.Room
		if next == nil {
			next = old
		}
		if err := unhide(tx, e.Room, next, m.indexed); err != nil {
			return err
		}
	}
	if e.Time >= s.nextDue {
		// moveDue may read and write any room's meta in the file.
		if err := s.cache.flush(tx); err != nil {
			return err
		}
	}
	if err := s.moveDue(tx, e.Time); err != nil {
		return err
	}
	return nil
}

// putRoom stores a room record, which replaces old (nil: none), and
// updates its members' room lists and the creators' index.
func putRoom(tx *bolt.Tx, old *chat.RoomInfo, info chat.RoomInfo, raw []byte) error {
	users := tx.Bucket(bucketUsers)
	if old != nil {
		for _, u := range old.Members {
			if !info.HasMember(u) {
				if err := users.Delete(userKey(u, info.ID)); err != nil {
					return err
				}
			}
		}
		if old.Creator != "" {
			if err := tx.Bucket(bucketCreated).Delete(userKey(old.Creator, info.ID)); err != nil {
				return err
			}
		}
	}
	if info.Kind == chat.KindGroup && info.Creator != "" {
		if err := tx.Bucket(bucketCreated).Put(userKey(info.Creator, info.ID), []byte{}); err != nil {
			return err
		}
	}
	for _, u := range info.Members {
		if err := users.Put(userKey(u, info.ID), []byte(info.Kind)); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketRooms).Put([]byte(info.ID), raw)
}

func getRoom(tx *bolt.Tx, room string) (chat.RoomInfo, error) {
	v := tx.Bucket(bucketRooms).Get([]byte(room))
	if v == nil {
		return chat.RoomInfo{}, chat.ErrNotFound
	}
	var info chat.RoomInfo
	if err := codec.UnmarshalData(v, &info); err != nil {
		return chat.RoomInfo{}, fmt.Errorf("boltstore: room %s: %w", room, err)
	}
	return info, nil
}

func getEntry(tx *bolt.Tx, room string, seq uint64) (chat.Message, error) {
	return getEntryAt(tx, room, logPrefix(room, getMeta(tx, room)), seq)
}

// getEntryAt reads entry seq of room, whose log keys start with prefix.
func getEntryAt(tx *bolt.Tx, room string, prefix []byte, seq uint64) (chat.Message, error) {
	v := tx.Bucket(bucketLog).Get(entryKey(prefix, seq))
	if v == nil {
		return chat.Message{}, chat.ErrNotFound
	}
	return decodeEntry(room, v)
}

// decodeEntry decodes a log value of room, with or without its header.
func decodeEntry(room string, v []byte) (chat.Message, error) {
	_, data, _ := splitEntry(v)
	var m chat.Message
	if err := codec.UnmarshalData(data, &m); err != nil {
		return chat.Message{}, fmt.Errorf("boltstore: entry of room %s: %w", room, err)
	}
	m.Room = room
	return m, nil
}

func setRead(tx *bolt.Tx, room, user string, seq uint64) (uint64, error) {
	return setReadKey(tx, readKey(room, user), seq)
}

// setReadKey moves the read seq at receipt key k forward to seq.
func setReadKey(tx *bolt.Tx, k []byte, seq uint64) (uint64, error) {
	b := tx.Bucket(bucketReads)
	cur := getUint(b.Get(k))
	if seq <= cur {
		return cur, nil
	}
	return seq, b.Put(k, be64(seq))
}

// Lookup implements chat.Store. Its read waits for a commit only if a
// pending write stored the id or updated the entry it names (read.go).
func (s *Store) Lookup(ctx context.Context, roomID, from, clientMsgID string) (chat.Message, error) {
	var out chat.Message
	var seq uint64
	k := s.cmidHash(roomID, from, clientMsgID)
	err := s.read(ctx, func(tx *bolt.Tx) error {
		out, seq = chat.Message{}, 0
		m := meta{num: s.nums.get(roomID)}
		if m.num == 0 {
			m = getMeta(tx, roomID)
			s.nums.put(roomID, m.num)
		}
		prefix := logPrefix(roomID, m)
		v := tx.Bucket(bucketCMIDs).Get(cmidKey(prefix, from, clientMsgID))
		if len(v) != 8 {
			return chat.ErrNotFound
		}
		seq = binary.BigEndian.Uint64(v)
		var err error
		out, err = getEntryAt(tx, roomID, prefix, seq)
		return err
	}, func() bool {
		return s.dirtyAll == 0 && !s.isDirty(k) && (seq == 0 || !s.isDirty(s.entryHash(roomID, seq)))
	}, true)
	return out, err
}

// Get implements chat.Store.
func (s *Store) Get(ctx context.Context, roomID string, seq uint64) (chat.Message, error) {
	var out chat.Message
	err := s.viewRoom(ctx, roomID, func(tx *bolt.Tx) error {
		var err error
		out, err = getEntry(tx, roomID, seq)
		return err
	})
	return out, err
}

// History implements chat.Store.
func (s *Store) History(ctx context.Context, roomID string, before uint64, limit int) ([]chat.Message, error) {
	out := []chat.Message{}
	if limit <= 0 {
		return out, nil
	}
	if before == 0 {
		before = ^uint64(0)
	}
	err := s.viewRoom(ctx, roomID, func(tx *bolt.Tx) error {
		prefix := logPrefix(roomID, getMeta(tx, roomID))
		c := tx.Bucket(bucketLog).Cursor()
		k, v := c.Seek(entryKey(prefix, before))
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && hasPrefix(k, prefix) && len(out) < limit; k, v = c.Prev() {
			m, err := decodeEntry(roomID, v)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// Room implements chat.Store.
func (s *Store) Room(ctx context.Context, roomID string) (chat.RoomInfo, error) {
	var out chat.RoomInfo
	err := s.viewRoom(ctx, roomID, func(tx *bolt.Tx) error {
		var err error
		out, err = getRoom(tx, roomID)
		return err
	})
	return out, err
}

// State implements chat.Store.
func (s *Store) State(ctx context.Context, roomID string) (chat.LogState, error) {
	var out chat.LogState
	err := s.viewRoom(ctx, roomID, func(tx *bolt.Tx) error {
		var err error
		out, err = state(tx, roomID)
		return err
	})
	return out, err
}

func state(tx *bolt.Tx, room string) (chat.LogState, error) {
	m := getMeta(tx, room)
	st := chat.LogState{Head: m.head, Updated: m.updated}
	if m.lastMsg > 0 {
		last, err := getEntryAt(tx, room, logPrefix(room, m), m.lastMsg)
		if err != nil {
			return chat.LogState{}, err
		}
		st.Last = &last
	}
	return st, nil
}

// SetRead implements chat.Store.
func (s *Store) SetRead(ctx context.Context, roomID, user string, seq uint64) (uint64, error) {
	o := &op{kind: opRead, room: roomID, user: user, seq: seq}
	if err := checkKeys(roomID, user); err != nil {
		return 0, err
	}
	r := s.newRequest(o)
	o.keys[0] = s.roomKey(roomID)
	if err := s.write(ctx, r); err != nil {
		return 0, err
	}
	return o.readSeq, nil
}

// Reads implements chat.Store.
func (s *Store) Reads(ctx context.Context, roomID string) (map[string]uint64, error) {
	out := make(map[string]uint64)
	err := s.viewRoom(ctx, roomID, func(tx *bolt.Tx) error {
		prefix := key(nil, roomID)
		c := tx.Bucket(bucketReads).Cursor()
		for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
			user, ok := part(k[len(prefix):])
			if !ok {
				return fmt.Errorf("boltstore: bad receipt key in room %s", roomID)
			}
			out[user] = getUint(v)
		}
		return nil
	})
	return out, err
}

// GroupsCreated implements chat.Store: it counts user's keys in the
// creators' index, which putRoom keeps in step with the room records.
func (s *Store) GroupsCreated(ctx context.Context, user string) (int, error) {
	n := 0
	err := s.view(ctx, func(tx *bolt.Tx) error {
		prefix := key(nil, user)
		c := tx.Bucket(bucketCreated).Cursor()
		for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
			n++
		}
		return nil
	})
	return n, err
}
