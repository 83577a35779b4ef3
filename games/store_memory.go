package games

import (
	"cmp"
	"context"
	"slices"
	"sync"
)

// MemoryStore is a Store that keeps everything in memory: for tests and
// demos, since nothing survives the process. The zero value is not
// usable; call NewMemoryStore.
type MemoryStore struct {
	mu       sync.RWMutex
	closed   bool
	matches  map[string]*memMatch
	finished map[string][]FinishedGame // user -> finished games, newest first
}

type memMatch struct {
	info MatchInfo
	log  []Entry // log[i] has seq i+1
	// players are the players of the match's finished record in the
	// histories, nil before one.
	players []string
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{matches: make(map[string]*memMatch), finished: make(map[string][]FinishedGame)}
}

var _ Store = (*MemoryStore)(nil)

// Close makes every later call fail with ErrStoreClosed.
func (s *MemoryStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// Create implements Store.
func (s *MemoryStore) Create(ctx context.Context, m MatchInfo) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrStoreClosed
	}
	if _, ok := s.matches[m.ID]; ok {
		return ErrMatchExists
	}
	s.matches[m.ID] = &memMatch{info: m.Clone()}
	return nil
}

// Append implements Store.
func (s *MemoryStore) Append(ctx context.Context, w Write) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrStoreClosed
	}
	mt := s.matches[w.Match]
	if mt == nil {
		return ErrNotFound
	}
	head := uint64(len(mt.log))
	for i, e := range w.Entries {
		if e.Seq != head+uint64(i)+1 {
			return ErrSeqConflict
		}
	}
	for _, e := range w.Entries {
		mt.log = append(mt.log, e.Clone())
	}
	if g := w.Finished; g != nil {
		for _, u := range mt.players { // an earlier record of the match
			s.finished[u] = slices.DeleteFunc(s.finished[u], func(f FinishedGame) bool { return f.Room == g.Room })
			if len(s.finished[u]) == 0 {
				delete(s.finished, u)
			}
		}
		mt.players = nil
		for _, u := range g.Players {
			if slices.Contains(mt.players, u) {
				continue // seated twice: in the history once
			}
			mt.players = append(mt.players, u)
			list := s.finished[u]
			i, _ := slices.BinarySearchFunc(list, *g, newestFirst)
			s.finished[u] = slices.Insert(list, i, g.Clone())
		}
	}
	return nil
}

// newestFirst orders finished games as a history: by Ended, then Room,
// both descending.
func newestFirst(a, b FinishedGame) int {
	if c := cmp.Compare(b.Ended.UnixMilli(), a.Ended.UnixMilli()); c != 0 {
		return c
	}
	return cmp.Compare(b.Room, a.Room)
}

// Load implements Store.
func (s *MemoryStore) Load(ctx context.Context, id string) (MatchInfo, []Entry, error) {
	if err := ctx.Err(); err != nil {
		return MatchInfo{}, nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return MatchInfo{}, nil, ErrStoreClosed
	}
	mt := s.matches[id]
	if mt == nil {
		return MatchInfo{}, nil, ErrNotFound
	}
	out := make([]Entry, len(mt.log))
	for i, e := range mt.log {
		out[i] = e.Clone()
	}
	return mt.info.Clone(), out, nil
}

// Entries implements Store.
func (s *MemoryStore) Entries(ctx context.Context, id string, after uint64, limit int) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrStoreClosed
	}
	mt := s.matches[id]
	if mt == nil || limit <= 0 || after >= uint64(len(mt.log)) {
		return nil, nil
	}
	end := min(after+uint64(limit), uint64(len(mt.log)))
	out := make([]Entry, 0, end-after)
	for _, e := range mt.log[after:end] {
		out = append(out, e.Clone())
	}
	return out, nil
}

// Finished implements Store.
func (s *MemoryStore) Finished(ctx context.Context, user string, cursor HistoryCursor, limit int) ([]FinishedGame, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrStoreClosed
	}
	var out []FinishedGame
	for _, g := range s.finished[user] {
		if len(out) >= limit {
			break
		}
		if cursor.after(g.Ended.UnixMilli(), g.Room) {
			out = append(out, g.Clone())
		}
	}
	return out, nil
}
