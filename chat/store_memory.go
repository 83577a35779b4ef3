package chat

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
)

// MemoryStore is a Store that keeps everything in memory: for tests and
// demos, since nothing survives the process. The zero value is not usable;
// call NewMemoryStore.
//
// Each room has a lock of its own, so that calls on different rooms do
// not wait for each other; the indexes across rooms (inboxes, groups by
// creator) have one more, held only while they change or a page of them
// is copied. A single lock for everything made every send of every room
// queue behind every other: under load its waiters convoyed, and sends
// waited for it for tens of milliseconds.
type MemoryStore struct {
	epoch string
	// mu is held shared by every call while it runs and exclusively by
	// Close; it guards closed.
	mu     sync.RWMutex
	closed bool
	// rooms maps a room id to its *memRoom. A room, once made, is never
	// removed.
	rooms sync.Map
	// idx guards inbox and created. It is taken after a room's lock,
	// never before one.
	idx     sync.Mutex
	inbox   map[string][]inboxPos          // user -> their conversations, in inbox order
	created map[string]map[string]struct{} // group creator -> room ids
}

// memRoom is one room's log and state, guarded by its mu.
type memRoom struct {
	mu       sync.Mutex
	info     *RoomInfo
	base     uint64    // the entries up to seq base are trimmed
	log      []Message // log[i] has seq base+i+1
	lastMsg  uint64
	updated  int64
	cmids    map[cmidKey]uint64
	reads    map[string]uint64
	settings map[string]Settings // none zero
}

type cmidKey struct{ from, id string }

// head is the seq of the room's newest entry.
func (r *memRoom) head() uint64 { return r.base + uint64(len(r.log)) }

// entry returns the stored entry with seq, if it is there.
func (r *memRoom) entry(seq uint64) (*Message, bool) {
	if seq <= r.base || seq > r.head() {
		return nil, false
	}
	return &r.log[seq-r.base-1], true
}

// inboxTime is where the room sorts in its members' inboxes: the
// Conversation's Updated.
func (r *memRoom) inboxTime() int64 {
	if r.updated == 0 && r.info != nil {
		return r.info.Created
	}
	return r.updated
}

// inboxPos is a conversation's place in a user's inbox.
type inboxPos struct {
	updated int64
	room    string
}

// compareInbox orders inbox positions as SortConversations does.
func compareInbox(a, b inboxPos) int {
	if c := cmp.Compare(b.updated, a.updated); c != 0 {
		return c
	}
	return cmp.Compare(a.room, b.room)
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		epoch:   newID(),
		inbox:   make(map[string][]inboxPos),
		created: make(map[string]map[string]struct{}),
	}
}

var _ Store = (*MemoryStore)(nil)

// Epoch implements Store: a random id per MemoryStore, whose logs live
// only as long as it does.
func (s *MemoryStore) Epoch() string { return s.epoch }

var errNoRoomID = errors.New("chat: entry has no room id")

// room returns room id, made empty if it is not there yet.
func (s *MemoryStore) room(id string) *memRoom {
	if r := s.lookup(id); r != nil {
		return r
	}
	r, _ := s.rooms.LoadOrStore(id, &memRoom{cmids: make(map[cmidKey]uint64), reads: make(map[string]uint64), settings: make(map[string]Settings)})
	return r.(*memRoom)
}

// lookup returns room id, or nil if it is not there.
func (s *MemoryStore) lookup(id string) *memRoom {
	if r, ok := s.rooms.Load(id); ok {
		return r.(*memRoom)
	}
	return nil
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
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return Message{}, false, ErrStoreClosed
	}
	r := s.room(e.Room)
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.ClientMsgID != "" {
		if seq, ok := r.cmids[cmidKey{e.From, e.ClientMsgID}]; ok {
			m, _ := r.entry(seq)
			return m.Clone(), true, nil
		}
	}
	if e.Seq != r.head()+1 {
		return Message{}, false, ErrSeqConflict
	}
	var target *Message
	if w.Update != nil {
		var ok bool
		if target, ok = r.entry(w.Update.Seq); !ok {
			return Message{}, false, ErrNotFound
		}
	}
	// Nothing can fail from here on.
	oldInfo, oldTime := r.info, r.inboxTime()
	if target != nil {
		*target = w.Update.Clone()
		target.Room = e.Room
	}
	if w.Room != nil {
		info := w.Room.Clone()
		r.info = &info
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
	s.idx.Lock()
	s.reindex(e.Room, r, oldInfo, oldTime)
	if e.Kind == KindMessage || e.Kind == KindMembers {
		s.unhide(e.Room, r)
	}
	if w.Room != nil {
		s.indexCreator(e.Room, oldInfo, r.info)
	}
	s.idx.Unlock()
	return e.Clone(), false, nil
}

// reindex moves room id in its members' inboxes after a write: out of
// the inboxes of users no longer in the record, into those of new
// members, and to its new place when its time changed. The caller holds
// r.mu and s.idx, as for unhide, list, unlist and indexCreator.
func (s *MemoryStore) reindex(id string, r *memRoom, old *RoomInfo, oldTime int64) {
	newTime := r.inboxTime()
	moved := newTime != oldTime
	if old != nil {
		for _, u := range old.Members {
			if moved || !r.info.HasMember(u) {
				s.unlist(u, inboxPos{oldTime, id})
			}
		}
	}
	if r.info != nil {
		for _, u := range r.info.Members {
			if (moved || old == nil || !old.HasMember(u)) && !r.settings[u].Hidden {
				s.list(u, inboxPos{newTime, id})
			}
		}
	}
}

// unhide clears Hidden for every user of room id and lists it again in
// its members' inboxes.
func (s *MemoryStore) unhide(id string, r *memRoom) {
	for u, st := range r.settings {
		if !st.Hidden {
			continue
		}
		st.Hidden = false
		r.setSettings(u, st)
		if r.info != nil && r.info.HasMember(u) {
			s.list(u, inboxPos{r.inboxTime(), id})
		}
	}
}

// setSettings stores user's settings, dropping zero ones.
func (r *memRoom) setSettings(user string, st Settings) {
	if st == (Settings{}) {
		delete(r.settings, user)
	} else {
		r.settings[user] = st
	}
}

func (s *MemoryStore) list(user string, p inboxPos) {
	l := s.inbox[user]
	if i, found := slices.BinarySearchFunc(l, p, compareInbox); !found {
		s.inbox[user] = slices.Insert(l, i, p)
	}
}

func (s *MemoryStore) unlist(user string, p inboxPos) {
	l := s.inbox[user]
	i, found := slices.BinarySearchFunc(l, p, compareInbox)
	switch {
	case !found:
	case len(l) == 1:
		delete(s.inbox, user)
	default:
		s.inbox[user] = slices.Delete(l, i, i+1)
	}
}

// indexCreator keeps the creators' index in step with a room record that
// replaced old (nil: none).
func (s *MemoryStore) indexCreator(id string, old, info *RoomInfo) {
	if old != nil && old.Kind == KindGroup && old.Creator != "" {
		delete(s.created[old.Creator], id)
		if len(s.created[old.Creator]) == 0 {
			delete(s.created, old.Creator)
		}
	}
	if info != nil && info.Kind == KindGroup && info.Creator != "" {
		if s.created[info.Creator] == nil {
			s.created[info.Creator] = make(map[string]struct{})
		}
		s.created[info.Creator][id] = struct{}{}
	}
}

// Lookup implements Store.
func (s *MemoryStore) Lookup(ctx context.Context, roomID, from, clientMsgID string) (Message, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return Message{}, ErrStoreClosed
	}
	r := s.lookup(roomID)
	if r == nil {
		return Message{}, ErrNotFound
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	seq, ok := r.cmids[cmidKey{from, clientMsgID}]
	if !ok {
		return Message{}, ErrNotFound
	}
	m, _ := r.entry(seq)
	return m.Clone(), nil
}

// Get implements Store.
func (s *MemoryStore) Get(ctx context.Context, roomID string, seq uint64) (Message, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return Message{}, ErrStoreClosed
	}
	r := s.lookup(roomID)
	if r == nil {
		return Message{}, ErrNotFound
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.entry(seq)
	if !ok {
		return Message{}, ErrNotFound
	}
	return m.Clone(), nil
}

// History implements Store.
func (s *MemoryStore) History(ctx context.Context, roomID string, before uint64, limit int) ([]Message, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrStoreClosed
	}
	r := s.lookup(roomID)
	if r == nil || limit <= 0 {
		return []Message{}, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	hi := r.head() // the page is the entries with seqs in (lo, hi]
	if before != 0 && before-1 < hi {
		hi = before - 1
	}
	lo := r.base
	if hi > lo+uint64(limit) {
		lo = hi - uint64(limit)
	}
	if hi <= lo {
		return []Message{}, nil
	}
	out := make([]Message, 0, hi-lo)
	for _, m := range r.log[lo-r.base : hi-r.base] {
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
	r := s.lookup(roomID)
	if r == nil {
		return RoomInfo{}, ErrNotFound
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.info == nil {
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
	r := s.lookup(roomID)
	if r == nil {
		return LogState{}, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state(), nil
}

// state is the room's LogState; the caller holds r.mu.
func (r *memRoom) state() LogState {
	st := LogState{Head: r.head(), Updated: r.updated}
	if m, ok := r.entry(r.lastMsg); ok {
		last := m.Clone()
		st.Last = &last
	}
	return st
}

// SetRead implements Store.
func (s *MemoryStore) SetRead(ctx context.Context, roomID, user string, seq uint64) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, ErrStoreClosed
	}
	r := s.room(roomID)
	r.mu.Lock()
	defer r.mu.Unlock()
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
	if r := s.lookup(roomID); r != nil {
		r.mu.Lock()
		defer r.mu.Unlock()
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
	r := s.lookup(roomID)
	if r == nil {
		return 0, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.unread(user, max), nil
}

// unread counts user's unread entries, up to max; the caller holds r.mu.
func (r *memRoom) unread(user string, max int) int {
	n := 0
	stop := r.reads[user]
	if stop < r.base {
		stop = r.base
	}
	for seq := r.head(); seq > stop && n < max; seq-- {
		if CountsAsUnread(r.log[seq-r.base-1], user) {
			n++
		}
	}
	return n
}

// Conversations implements Store.
func (s *MemoryStore) Conversations(ctx context.Context, user string, limit, maxUnread int) ([]Conversation, error) {
	return s.ConversationsBefore(ctx, user, InboxCursor{}, limit, maxUnread)
}

// ConversationsBefore implements Store. Each user's conversations are
// kept in a slice sorted in inbox order, so a page costs a binary search
// and the page; moving a conversation to the top moves the slice.
func (s *MemoryStore) ConversationsBefore(ctx context.Context, user string, cursor InboxCursor, limit, maxUnread int) ([]Conversation, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrStoreClosed
	}
	page := s.inboxPage(user, cursor, limit)
	out := make([]Conversation, 0, len(page))
	for _, p := range page {
		if conv, ok := s.conversation(p.room, user, maxUnread); ok {
			out = append(out, conv)
		}
	}
	return out, nil
}

// inboxPage copies the page of user's inbox after cursor.
func (s *MemoryStore) inboxPage(user string, cursor InboxCursor, limit int) []inboxPos {
	s.idx.Lock()
	defer s.idx.Unlock()
	l := s.inbox[user]
	start, _ := slices.BinarySearchFunc(l, cursor, func(p inboxPos, cur InboxCursor) int {
		if cur.Precedes(p.updated, p.room) {
			return -1
		}
		return 1
	})
	l = l[start:]
	if limit > 0 && len(l) > limit {
		l = l[:limit]
	}
	return slices.Clone(l)
}

// conversation is room id as user's inbox shows it; ok is false if the
// room has no record.
func (s *MemoryStore) conversation(id, user string, maxUnread int) (conv Conversation, ok bool) {
	r := s.lookup(id)
	if r == nil {
		return Conversation{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.info == nil {
		return Conversation{}, false
	}
	conv = NewConversation(user, r.info.Clone(), r.state(), r.reads[user], r.unread(user, maxUnread))
	conv.Muted = r.settings[user].Muted
	return conv, true
}

// GroupsCreated implements Store.
func (s *MemoryStore) GroupsCreated(ctx context.Context, user string) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, ErrStoreClosed
	}
	s.idx.Lock()
	defer s.idx.Unlock()
	return len(s.created[user]), nil
}

// SetSettings implements Store. Hiding takes the room out of the user's
// sorted inbox slice; showing puts it back.
func (s *MemoryStore) SetSettings(ctx context.Context, roomID, user string, st Settings) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrStoreClosed
	}
	r := s.room(roomID)
	r.mu.Lock()
	defer r.mu.Unlock()
	was := r.settings[user].Hidden
	r.setSettings(user, st)
	if was == st.Hidden || r.info == nil || !r.info.HasMember(user) {
		return nil
	}
	s.idx.Lock()
	defer s.idx.Unlock()
	if p := (inboxPos{r.inboxTime(), roomID}); st.Hidden {
		s.unlist(user, p)
	} else {
		s.list(user, p)
	}
	return nil
}

// Settings implements Store.
func (s *MemoryStore) Settings(ctx context.Context, roomID string) (map[string]Settings, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrStoreClosed
	}
	out := make(map[string]Settings)
	if r := s.lookup(roomID); r != nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		for u, st := range r.settings {
			out[u] = st
		}
	}
	return out, nil
}

// Trim implements Store.
func (s *MemoryStore) Trim(ctx context.Context, rules map[string]TrimRule) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, ErrStoreClosed
	}
	removed := 0
	s.rooms.Range(func(_, v any) bool {
		r := v.(*memRoom)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.info == nil {
			return true
		}
		if rule, ok := rules[r.info.Kind]; ok {
			removed += r.trim(rule)
		}
		return true
	})
	return removed, nil
}

// trim removes the entries rule lets go and returns how many.
func (r *memRoom) trim(rule TrimRule) int {
	head, n := r.head(), 0
	for n < len(r.log) && rule.Trims(r.log[n].Seq, r.log[n].Time, head) {
		if m := r.log[n]; m.ClientMsgID != "" {
			delete(r.cmids, cmidKey{m.From, m.ClientMsgID})
		}
		n++
	}
	if n > 0 {
		r.log = slices.Clone(r.log[n:]) // let the trimmed entries go
		r.base += uint64(n)
	}
	return n
}

// Close implements Store.
func (s *MemoryStore) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}
