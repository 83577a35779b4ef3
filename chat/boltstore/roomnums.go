package boltstore

import "sync"

// roomNums caches the numbers of rooms (see keys.go), which never change
// once given, for Lookup: the number is all it needs of the room's meta
// to find a client message id. It holds at most maxRoomNums rooms and starts again
// empty when full.
type roomNums struct {
	mu   sync.RWMutex
	nums map[string]uint64
}

// maxRoomNums bounds roomNums: about 100 bytes a room.
const maxRoomNums = 1 << 16

// get returns room's number, or 0 if it is not cached.
func (r *roomNums) get(room string) uint64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.nums[room]
}

// put caches room's number num (0: not numbered yet, not cached).
func (r *roomNums) put(room string, num uint64) {
	if num == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.nums == nil || len(r.nums) >= maxRoomNums {
		r.nums = make(map[string]uint64)
	}
	r.nums[room] = num
}
