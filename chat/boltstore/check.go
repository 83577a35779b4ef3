package boltstore

import (
	"encoding/binary"
	"errors"

	bolt "go.etcd.io/bbolt"

	"github.com/parlorhq/parlor/chat"
)

// The writer answers a write before the bbolt file has it: it checks the
// write against the file's last commit and the writes logged since
// (pending: logged, not yet committed), kept here, and only what passes
// is logged. The applier then runs the op on the file and cannot fail but
// for the disk: everything that could refuse it was checked here (keys
// bbolt would refuse included). Pending state is dropped once the commit
// that holds it is published.

// pendRoom is a room with appends pending: its head once they are
// applied, and the last of them.
type pendRoom struct {
	head uint64
	lsn  uint64
}

// pendEntry is an entry as a pending append or update leaves it.
type pendEntry struct {
	room string
	seq  uint64
	m    *chat.Message
	lsn  uint64
}

// pendCMID is a client message id stored by a pending append.
type pendCMID struct {
	room, from, id string
	seq            uint64
	lsn            uint64
}

// pendRead is a read seq set by a pending write.
type pendRead struct {
	room, user string
	seq        uint64
	lsn        uint64
}

// keyRoom is the most room, user and client message id bytes a write may
// carry together: its longest bbolt key (cmids: room number, from, id,
// with their length prefixes) then stays below bolt.MaxKeySize.
const keyRoom = bolt.MaxKeySize - 64

// ErrKeyTooLarge is the error of a write whose room, user or client
// message id are too long together for a bbolt key.
var ErrKeyTooLarge = errors.New("boltstore: ids too long for a key")

// checkKeys refuses ids whose keys bbolt would refuse.
func checkKeys(parts ...string) error {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n > keyRoom {
		return ErrKeyTooLarge
	}
	return nil
}

// checkWriteKeys is checkKeys for every key an Append stores.
func checkWriteKeys(w chat.Write) error {
	e := w.Entry
	if err := checkKeys(e.Room, e.From, e.ClientMsgID); err != nil {
		return err
	}
	if w.Read != nil {
		if err := checkKeys(e.Room, w.Read.User); err != nil {
			return err
		}
	}
	if w.Room != nil {
		for _, u := range w.Room.Members {
			if err := checkKeys(e.Room, u); err != nil {
				return err
			}
		}
		if err := checkKeys(e.Room, w.Room.Creator); err != nil {
			return err
		}
	}
	return nil
}

// check checks o against tx (the last commit) and the pending writes,
// sets its results as they will be once it is applied, and records it as
// pending. It returns a refusal, or errSkip for an Append whose client
// message id is stored already (o.dup is the stored entry; nothing to
// log). s.mu must be held.
func (s *Store) check(tx *bolt.Tx, o *op) error {
	switch o.kind {
	case opAppend:
		return s.checkAppend(tx, o)
	case opRead:
		o.readSeq = s.readSeq(tx, o.room, o.user)
		if o.seq > o.readSeq {
			o.readSeq = o.seq
			s.reads[s.readHash(o.room, o.user)] = pendRead{room: o.room, user: o.user, seq: o.seq, lsn: o.lsn}
		}
	}
	return nil
}

// errSkip: the write needs no record.
var errSkip = refuse(nil)

// checkAppend is check for an Append.
func (s *Store) checkAppend(tx *bolt.Tx, o *op) error {
	w, e := o.w, o.w.Entry
	o.dup, o.readMoves = nil, false
	m := getMeta(tx, e.Room)
	head := m.head
	if p := s.rooms[e.Room]; p != nil {
		head = p.head
	}
	if e.ClientMsgID != "" {
		if seq, ok := s.cmidSeq(tx, m, e); ok {
			stored, err := s.entry(tx, m, e.Room, seq)
			if err != nil {
				return err
			}
			o.dup = &stored
			return errSkip
		}
	}
	if e.Seq != head+1 {
		return refuse(chat.ErrSeqConflict)
	}
	if w.Update != nil {
		if w.Update.Seq == 0 || w.Update.Seq > head {
			return refuse(chat.ErrNotFound)
		}
		if _, err := s.entry(tx, m, e.Room, w.Update.Seq); err != nil {
			return refuse(chat.ErrNotFound)
		}
	}
	if p := s.rooms[e.Room]; p != nil {
		p.head, p.lsn = e.Seq, o.lsn
	} else {
		s.rooms[e.Room] = &pendRoom{head: e.Seq, lsn: o.lsn}
	}
	s.entries[s.entryHash(e.Room, e.Seq)] = pendEntry{room: e.Room, seq: e.Seq, m: &o.w.Entry, lsn: o.lsn}
	if w.Update != nil {
		s.entries[s.entryHash(e.Room, w.Update.Seq)] = pendEntry{room: e.Room, seq: w.Update.Seq, m: o.w.Update, lsn: o.lsn}
	}
	if e.ClientMsgID != "" {
		s.cmids[s.cmidHash(e.Room, e.From, e.ClientMsgID)] = pendCMID{room: e.Room, from: e.From, id: e.ClientMsgID, seq: e.Seq, lsn: o.lsn}
	}
	o.readMoves = w.Read != nil && w.Read.Seq > s.readSeq(tx, e.Room, w.Read.User)
	if o.readMoves {
		s.reads[s.readHash(e.Room, w.Read.User)] = pendRead{room: e.Room, user: w.Read.User, seq: w.Read.Seq, lsn: o.lsn}
	}
	return nil
}

// cmidSeq returns the seq of the entry of e's room stored with e's client
// message id, pending or committed (m is the room's committed state).
func (s *Store) cmidSeq(tx *bolt.Tx, m meta, e chat.Message) (uint64, bool) {
	if p, ok := s.cmids[s.cmidHash(e.Room, e.From, e.ClientMsgID)]; ok && p.room == e.Room && p.from == e.From && p.id == e.ClientMsgID {
		return p.seq, true
	}
	if m.head == 0 {
		return 0, false
	}
	v := tx.Bucket(bucketCMIDs).Get(cmidKey(logPrefix(e.Room, m), e.From, e.ClientMsgID))
	if len(v) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(v), true
}

// entry returns entry seq of room as it stands, pending or committed.
func (s *Store) entry(tx *bolt.Tx, m meta, room string, seq uint64) (chat.Message, error) {
	if p, ok := s.entries[s.entryHash(room, seq)]; ok && p.room == room && p.seq == seq {
		return p.m.Clone(), nil
	}
	if m.head == 0 {
		return chat.Message{}, chat.ErrNotFound
	}
	return getEntryAt(tx, room, logPrefix(room, m), seq)
}

// readSeq returns user's read seq in room, pending or committed.
func (s *Store) readSeq(tx *bolt.Tx, room, user string) uint64 {
	if p, ok := s.reads[s.readHash(room, user)]; ok && p.room == room && p.user == user {
		return p.seq
	}
	return getUint(tx.Bucket(bucketReads).Get(readKey(room, user)))
}

// forget drops the pending state of ops, now committed. s.mu must be
// held.
func (s *Store) forget(ops []*op) {
	for _, o := range ops {
		for _, k := range o.keys {
			if k != 0 && s.dirty[k] <= o.lsn {
				delete(s.dirty, k)
			}
		}
		switch o.kind {
		case opAppend:
			e := o.w.Entry
			if p := s.rooms[o.room]; p != nil && p.lsn <= o.lsn {
				delete(s.rooms, o.room)
			}
			if k := s.entryHash(o.room, e.Seq); s.entries[k].lsn == o.lsn {
				delete(s.entries, k)
			}
			if o.w.Update != nil {
				if k := s.entryHash(o.room, o.w.Update.Seq); s.entries[k].lsn == o.lsn {
					delete(s.entries, k)
				}
			}
			if e.ClientMsgID != "" {
				if k := s.cmidHash(o.room, e.From, e.ClientMsgID); s.cmids[k].lsn == o.lsn {
					delete(s.cmids, k)
				}
			}
			if o.w.Read != nil {
				if k := s.readHash(o.room, o.w.Read.User); s.reads[k].lsn == o.lsn {
					delete(s.reads, k)
				}
			}
		case opRead:
			if k := s.readHash(o.room, o.user); s.reads[k].lsn == o.lsn {
				delete(s.reads, k)
			}
		}
	}
}
