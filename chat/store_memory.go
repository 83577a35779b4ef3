package chat

import (
	"context"
	"errors"
	"sync"
)

// MemoryStore is a Store that keeps everything in memory: for tests and
// demos, since nothing survives the process. The zero value is not usable;
// call NewMemoryStore.
type MemoryStore struct {
	epoch   string
	mu      sync.RWMutex
	closed  bool
	rooms   map[string]*memRoom
	users   map[string]map[string]struct{} // user -> room ids
	created map[string]map[string]struct{} // group creator -> room ids
}

type memRoom struct {
	info    *RoomInfo
	log     []Message // log[i] has seq i+1
	lastMsg uint64
	updated int64
	cmids   map[cmidKey]uint64
	reads   map[string]uint64
}

type cmidKey struct{ from, id string }

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		epoch:   newID(),
		rooms:   make(map[string]*memRoom),
		users:   make(map[string]map[string]struct{}),
		created: make(map[string]map[string]struct{}),
	}
}

var _ Store = (*MemoryStore)(nil)

// Epoch implements Store: a random id per MemoryStore, whose logs live
// only as long as it does.
func (s *MemoryStore) Epoch() string { return s.epoch }

var errNoRoomID = errors.New("chat: entry has no room id")

func (s *MemoryStore) room(id string) *memRoom {
	r := s.rooms[id]
	if r == nil {
		r = &memRoom{cmids: make(map[cmidKey]uint64), reads: make(map[string]uint64)}
		s.rooms[id] = r
	}
	return r
}

// Append implements Store.
func (s *MemoryStore) Append(ctx context.Context, w Write) (Message, bool, error) {
	if err := ctx.Err(); err != nil {
		return Message{}, false, err
	}
	e := w.Entry
	if e.Room == "" {
		return Message{}, false, errNoRoomID
	}
	if w.Room != nil && w.Room.ID != e.Room {
		return Message{}, false, errors.New("chat: room record is for another room")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Message{}, false, ErrStoreClosed
	}
	r := s.room(e.Room)
	if e.ClientMsgID != "" {
		if seq, ok := r.cmids[cmidKey{e.From, e.ClientMsgID}]; ok {
			return r.log[seq-1].Clone(), true, nil
		}
	}
	if e.Seq != uint64(len(r.log))+1 {
		return Message{}, false, ErrSeqConflict
	}
	if w.Update != nil && (w.Update.Seq == 0 || w.Update.Seq > uint64(len(r.log))) {
		return Message{}, false, ErrNotFound
	}
	// Nothing can fail from here on.
	if w.Update != nil {
		u := w.Update.Clone()
		u.Room = e.Room
		r.log[u.Seq-1] = u
	}
	if w.Room != nil {
		s.putRoom(r, w.Room.Clone())
	}
	e = e.Clone()
	r.log = append(r.log, e)
	if e.Kind == KindMessage {
		r.lastMsg = e.Seq
	}
	if e.Kind == KindMessage || e.Kind == KindMembers {
		r.updated = e.Time
	}
	if e.ClientMsgID != "" {
		r.cmids[cmidKey{e.From, e.ClientMsgID}] = e.Seq
	}
	if w.Read != nil && w.Read.Seq > r.reads[w.Read.User] {
		r.reads[w.Read.User] = w.Read.Seq
	}
	return e.Clone(), false, nil
}

// putRoom replaces r's record and updates the members' room lists.
func (s *MemoryStore) putRoom(r *memRoom, info RoomInfo) {
	if r.info != nil {
		for _, u := range r.info.Members {
			if !info.HasMember(u) {
				delete(s.users[u], info.ID)
			}
		}
	}
	for _, u := range info.Members {
		if s.users[u] == nil {
			s.users[u] = make(map[string]struct{})
		}
		s.users[u][info.ID] = struct{}{}
	}
	if r.info != nil && r.info.Kind == KindGroup && r.info.Creator != "" {
		delete(s.created[r.info.Creator], info.ID)
	}
	if info.Kind == KindGroup && info.Creator != "" {
		if s.created[info.Creator] == nil {
			s.created[info.Creator] = make(map[string]struct{})
		}
		s.created[info.Creator][info.ID] = struct{}{}
	}
	r.info = &info
}

// Lookup implements Store.
func (s *MemoryStore) Lookup(ctx context.Context, roomID, from, clientMsgID string) (Message, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return Message{}, ErrStoreClosed
	}
	r := s.rooms[roomID]
	if r == nil {
		return Message{}, ErrNotFound
	}
	seq, ok := r.cmids[cmidKey{from, clientMsgID}]
	if !ok {
		return Message{}, ErrNotFound
	}
	return r.log[seq-1].Clone(), nil
}

// Get implements Store.
func (s *MemoryStore) Get(ctx context.Context, roomID string, seq uint64) (Message, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return Message{}, ErrStoreClosed
	}
	r := s.rooms[roomID]
	if r == nil || seq == 0 || seq > uint64(len(r.log)) {
		return Message{}, ErrNotFound
	}
	return r.log[seq-1].Clone(), nil
}

// History implements Store.
func (s *MemoryStore) History(ctx context.Context, roomID string, before uint64, limit int) ([]Message, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrStoreClosed
	}
	r := s.rooms[roomID]
	if r == nil || limit <= 0 {
		return []Message{}, nil
	}
	end := uint64(len(r.log)) // entries [0, end) have seq < before
	if before != 0 && before-1 < end {
		end = before - 1
	}
	start := uint64(0)
	if end > uint64(limit) {
		start = end - uint64(limit)
	}
	out := make([]Message, 0, end-start)
	for _, m := range r.log[start:end] {
		out = append(out, m.Clone())
	}
	return out, nil
}

// Room implements Store.
func (s *MemoryStore) Room(ctx context.Context, roomID string) (RoomInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return RoomInfo{}, ErrStoreClosed
	}
	r := s.rooms[roomID]
	if r == nil || r.info == nil {
		return RoomInfo{}, ErrNotFound
	}
	return r.info.Clone(), nil
}

// State implements Store.
func (s *MemoryStore) State(ctx context.Context, roomID string) (LogState, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return LogState{}, ErrStoreClosed
	}
	return s.state(s.rooms[roomID]), nil
}

func (s *MemoryStore) state(r *memRoom) LogState {
	if r == nil {
		return LogState{}
	}
	st := LogState{Head: uint64(len(r.log)), Updated: r.updated}
	if r.lastMsg > 0 {
		last := r.log[r.lastMsg-1].Clone()
		st.Last = &last
	}
	return st
}

// SetRead implements Store.
func (s *MemoryStore) SetRead(ctx context.Context, roomID, user string, seq uint64) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, ErrStoreClosed
	}
	r := s.room(roomID)
	if seq > r.reads[user] {
		r.reads[user] = seq
	}
	return r.reads[user], nil
}

// Reads implements Store.
func (s *MemoryStore) Reads(ctx context.Context, roomID string) (map[string]uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrStoreClosed
	}
	out := make(map[string]uint64)
	if r := s.rooms[roomID]; r != nil {
		for u, seq := range r.reads {
			out[u] = seq
		}
	}
	return out, nil
}

// Unread implements Store.
func (s *MemoryStore) Unread(ctx context.Context, roomID, user string, max int) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, ErrStoreClosed
	}
	return s.unread(s.rooms[roomID], user, max), nil
}

func (s *MemoryStore) unread(r *memRoom, user string, max int) int {
	if r == nil {
		return 0
	}
	n := 0
	read := r.reads[user]
	for seq := uint64(len(r.log)); seq > read && n < max; seq-- {
		if CountsAsUnread(r.log[seq-1], user) {
			n++
		}
	}
	return n
}

// Conversations implements Store.
func (s *MemoryStore) Conversations(ctx context.Context, user string, limit, maxUnread int) ([]Conversation, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrStoreClosed
	}
	out := make([]Conversation, 0, len(s.users[user]))
	for id := range s.users[user] {
		r := s.rooms[id]
		out = append(out, NewConversation(user, r.info.Clone(), s.state(r), r.reads[user], s.unread(r, user, maxUnread)))
	}
	SortConversations(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// GroupsCreated implements Store.
func (s *MemoryStore) GroupsCreated(ctx context.Context, user string) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, ErrStoreClosed
	}
	return len(s.created[user]), nil
}

// Close implements Store.
func (s *MemoryStore) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}
