package engine

import (
	"hash/maphash"
	"sync"
)

var shardSeed = maphash.MakeSeed()

// shardIndex maps a key to one of n shards.
func shardIndex(key string, n int) int {
	return int(maphash.String(shardSeed, key) % uint64(n))
}

const mapShards = 64

// shardedMap is a string-keyed map split over shards with their own locks,
// so that the engine has no global lock on its hot paths.
type shardedMap[V any] struct {
	shards [mapShards]struct {
		mu sync.Mutex
		m  map[string]V
	}
}

func newShardedMap[V any]() *shardedMap[V] {
	s := &shardedMap[V]{}
	for i := range s.shards {
		s.shards[i].m = make(map[string]V)
	}
	return s
}

// update runs fn with the shard's map locked.
func (s *shardedMap[V]) update(key string, fn func(m map[string]V)) {
	sh := &s.shards[shardIndex(key, mapShards)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	fn(sh.m)
}

// load returns the value for key.
func (s *shardedMap[V]) load(key string) (V, bool) {
	sh := &s.shards[shardIndex(key, mapShards)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	v, ok := sh.m[key]
	return v, ok
}

// values returns a snapshot of every value.
func (s *shardedMap[V]) values() []V {
	var out []V
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for _, v := range sh.m {
			out = append(out, v)
		}
		sh.mu.Unlock()
	}
	return out
}

// len counts the entries.
func (s *shardedMap[V]) len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}
