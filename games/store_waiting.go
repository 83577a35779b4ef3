package games

import (
	"cmp"
	"context"
	"slices"
)

// Info implements Store.
func (s *MemoryStore) Info(ctx context.Context, id string) (MatchInfo, error) {
	if err := ctx.Err(); err != nil {
		return MatchInfo{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return MatchInfo{}, ErrStoreClosed
	}
	mt := s.matches[id]
	if mt == nil {
		return MatchInfo{}, ErrNotFound
	}
	return mt.info.Clone(), nil
}

// Waiting implements Store. It looks at every stored match.
func (s *MemoryStore) Waiting(ctx context.Context, kind string, since int64, limit int) ([]MatchInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrStoreClosed
	}
	var out []MatchInfo
	for _, mt := range s.matches {
		if len(mt.log) == 0 && mt.info.Kind == kind && mt.info.Created >= since {
			out = append(out, mt.info.Clone())
		}
	}
	SortWaiting(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// SortWaiting sorts match records in the order Store.Waiting returns
// them: by Created, then by ID.
func SortWaiting(list []MatchInfo) {
	slices.SortFunc(list, func(a, b MatchInfo) int {
		return cmp.Or(cmp.Compare(a.Created, b.Created), cmp.Compare(a.ID, b.ID))
	})
}
