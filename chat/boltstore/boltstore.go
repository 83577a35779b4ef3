// Package boltstore is the embedded, durable chat.Store: one bbolt file
// that survives restarts.
//
// Writes from all rooms go to one writer goroutine that commits them in
// groups: every write that arrives while a transaction is being committed
// goes into the next one, and while writes are queuing the writer waits a
// little (Options.MaxBatchDelay) for the writers of the last transaction
// to come back. Under load many writes share one commit and its syncs; a
// lone write waits for nothing but its own commit. A write returns once its transaction is on
// disk, so a message the module acks is durable.
package boltstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/internal/boltcommit"
	bolt "go.etcd.io/bbolt"
)

// Options configures Open. Every field documents its zero-value default.
type Options struct {
	// MaxBatchSize is the most writes committed in one transaction.
	// Default: 1000.
	MaxBatchSize int
	// MaxBatchDelay bounds how long the writer holds a transaction open
	// for more writes. It holds one only while writes are queuing (the
	// previous transaction had more than one), only until as many
	// writes as last time have arrived, and never longer than the last
	// transaction took to commit: a lone write never waits, and under
	// load fewer, larger transactions share each sync. Default: 2ms.
	// Negative: never wait (commit what has queued at once).
	MaxBatchDelay time.Duration
	// LockTimeout is how long Open waits for another process to release
	// the file. Default: 5s.
	LockTimeout time.Duration
	// Mode is the file's permission bits when it is created. Default:
	// 0600.
	Mode os.FileMode
	// InboxInterval is how often, at most, a message moves its room in
	// the members' inbox index (see inbox.go): a message less than
	// InboxInterval after the room's last move leaves the index as it is
	// and marks the room pending for its members once, and reads merge
	// pending rooms in at their true place, so inbox pages stay exact.
	// Default: 1s. Negative: every message moves its room.
	InboxInterval time.Duration
}

// Defaults of Options.
const (
	DefaultMaxBatchSize  = 1000
	DefaultMaxBatchDelay = 2 * time.Millisecond
	DefaultLockTimeout   = 5 * time.Second
	DefaultInboxInterval = time.Second
)

// Store is a chat.Store in a bbolt file. It is safe for concurrent use.
//
// Reads run in bbolt read transactions, concurrently with each other and
// with the writer. Writes go to one writer goroutine, which commits every
// write that queued while the previous transaction was being committed in
// the next one (group commit), waiting up to Options.MaxBatchDelay for
// more while writes are queuing: a lone write costs one commit and waits
// for nothing else, and under load many writes share each commit.
type Store struct {
	db    *bolt.DB
	epoch string
	w     *boltcommit.Writer // every write transaction, and Close
	// interval is Options.InboxInterval in milliseconds, the unit of
	// entry times; 0: every message moves its room in the inbox index.
	interval int64
	// nextDue is a hint of the earliest time a pending room is due to
	// move (see moveDue), so that most appends skip the look. Only the
	// writer goroutine uses it; 0 (at Open): look.
	nextDue int64
}

// Stats counts a store's writes since Open.
type Stats struct {
	// Writes is the number of successful writes: Append and SetRead
	// calls, and the transactions of Trim that removed entries.
	Writes uint64
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
	writes, commits := s.w.Stats()
	st := s.db.Stats()
	return Stats{Writes: writes, Commits: commits, Pages: uint64(st.TxStats.GetWrite())}
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

// Open opens or creates the store in the file at path.
func Open(path string, opts Options) (*Store, error) {
	if opts.MaxBatchSize <= 0 {
		opts.MaxBatchSize = DefaultMaxBatchSize
	}
	if opts.MaxBatchDelay == 0 {
		opts.MaxBatchDelay = DefaultMaxBatchDelay
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = DefaultLockTimeout
	}
	if opts.Mode == 0 {
		opts.Mode = 0o600
	}
	if opts.InboxInterval == 0 {
		opts.InboxInterval = DefaultInboxInterval
	}
	db, err := bolt.Open(path, opts.Mode, &bolt.Options{
		Timeout: opts.LockTimeout,
		// The free list is rebuilt when the file is opened instead of
		// being written at every commit: cheaper commits.
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	var epoch string
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
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("boltstore: init %s: %w", path, err)
	}
	w := boltcommit.New(db, opts.MaxBatchSize, opts.MaxBatchDelay, chat.ErrStoreClosed)
	return &Store{db: db, epoch: epoch, w: w, interval: max(0, opts.InboxInterval.Milliseconds())}, nil
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

// Close commits the writes already queued, stops the writer and closes
// the file. It is safe to call more than once.
func (s *Store) Close() error { return s.w.Close() }

// view runs fn in a read transaction.
func (s *Store) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	return s.w.View(ctx, fn)
}

// write runs fn in the writer's next transaction, shared with other
// writes (group commit); fn may run more than once (boltcommit.Writer.Write).
func (s *Store) write(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	return s.w.Write(ctx, fn)
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
	entry, err := encodeEntry(e)
	if err != nil {
		return chat.Message{}, false, err
	}
	var update, info []byte
	if w.Update != nil {
		if update, err = encodeEntry(*w.Update); err != nil {
			return chat.Message{}, false, err
		}
	}
	if w.Room != nil {
		if info, err = codec.MarshalData(w.Room); err != nil {
			return chat.Message{}, false, err
		}
	}
	var readK []byte // built here rather than in the shared writer goroutine
	if w.Read != nil {
		readK = readKey(e.Room, w.Read.User)
	}
	var out chat.Message
	var dup bool
	err = s.write(ctx, func(tx *bolt.Tx) error {
		out, dup = chat.Message{}, false
		m := getMeta(tx, e.Room)
		var cmidK []byte
		if e.ClientMsgID != "" && m.head > 0 {
			cmidK = cmidKey(logPrefix(e.Room, m), e.From, e.ClientMsgID)
			if v := tx.Bucket(bucketCMIDs).Get(cmidK); len(v) == 8 {
				m, err := getEntry(tx, e.Room, binary.BigEndian.Uint64(v))
				out, dup = m, err == nil
				return err
			}
		}
		if e.Seq != m.head+1 {
			return chat.ErrSeqConflict
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
		logB := tx.Bucket(bucketLog)
		if w.Update != nil {
			updateK := entryKey(prefix, w.Update.Seq)
			if w.Update.Seq == 0 || logB.Get(updateK) == nil {
				return chat.ErrNotFound
			}
			if err := logB.Put(updateK, update); err != nil {
				return err
			}
		}
		if w.Room != nil {
			if err := putRoom(tx, old, *w.Room, info); err != nil {
				return err
			}
		}
		if err := logB.Put(entryKey(prefix, e.Seq), entry); err != nil {
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
		if w.Read != nil {
			if _, err := setReadKey(tx, readK, w.Read.Seq); err != nil {
				return err
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
		if err := putMeta(tx, e.Room, m); err != nil {
			return err
		}
		if e.Kind == chat.KindMessage || e.Kind == chat.KindMembers {
			next := w.Room
			if next == nil {
				next = old
			}
			if err := unhide(tx, e.Room, next, m.indexed); err != nil {
				return err
			}
		}
		if err := s.moveDue(tx, e.Time); err != nil {
			return err
		}
		out = e.Clone()
		return nil
	})
	if err != nil {
		return chat.Message{}, false, err
	}
	return out, dup, nil
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

// Lookup implements chat.Store.
func (s *Store) Lookup(ctx context.Context, roomID, from, clientMsgID string) (chat.Message, error) {
	var out chat.Message
	err := s.view(ctx, func(tx *bolt.Tx) error {
		prefix := logPrefix(roomID, getMeta(tx, roomID))
		v := tx.Bucket(bucketCMIDs).Get(cmidKey(prefix, from, clientMsgID))
		if len(v) != 8 {
			return chat.ErrNotFound
		}
		var err error
		out, err = getEntryAt(tx, roomID, prefix, binary.BigEndian.Uint64(v))
		return err
	})
	return out, err
}

// Get implements chat.Store.
func (s *Store) Get(ctx context.Context, roomID string, seq uint64) (chat.Message, error) {
	var out chat.Message
	err := s.view(ctx, func(tx *bolt.Tx) error {
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
	err := s.view(ctx, func(tx *bolt.Tx) error {
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
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = getRoom(tx, roomID)
		return err
	})
	return out, err
}

// State implements chat.Store.
func (s *Store) State(ctx context.Context, roomID string) (chat.LogState, error) {
	var out chat.LogState
	err := s.view(ctx, func(tx *bolt.Tx) error {
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
	var out uint64
	err := s.write(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = setRead(tx, roomID, user, seq)
		return err
	})
	return out, err
}

// Reads implements chat.Store.
func (s *Store) Reads(ctx context.Context, roomID string) (map[string]uint64, error) {
	out := make(map[string]uint64)
	err := s.view(ctx, func(tx *bolt.Tx) error {
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
