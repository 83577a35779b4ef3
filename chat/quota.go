package chat

import (
	"sync"
	"time"
)

// dailyBytes counts the bytes of text each user has written since the
// start of the current UTC day, for Config.DailyBytesPerUser. It lives in
// the memory of one node: it starts from zero when the process starts,
// and a node counts only the writes it handles. The counts of a day are
// dropped when the next day starts, so it holds one entry per user who
// wrote today.
type dailyBytes struct {
	limit int64            // negative: no limit
	now   func() time.Time // the clock; time.Now but in tests
	mu    sync.Mutex
	day   int64            // the UTC day counted, in days since the Unix epoch
	used  map[string]int64 // by user
}

func newDailyBytes(limit int) *dailyBytes {
	return &dailyBytes{limit: int64(limit), now: time.Now, used: make(map[string]int64)}
}

// today moves the counts to the current UTC day. Caller holds mu.
func (q *dailyBytes) today() {
	if day := q.now().Unix() / 86400; day != q.day {
		q.day = day
		q.used = make(map[string]int64)
	}
}

// take counts n more bytes written by user, or refuses them with
// ErrDailyBytes if they would pass the limit.
func (q *dailyBytes) take(user string, n int) error {
	if q.limit < 0 || n <= 0 {
		return nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.today()
	if q.used[user]+int64(n) > q.limit {
		return ErrDailyBytes
	}
	q.used[user] += int64(n)
	return nil
}

// giveBack uncounts n bytes taken for a write that was not stored.
func (q *dailyBytes) giveBack(user string, n int) {
	if q.limit < 0 || n <= 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.today()
	if left := q.used[user] - int64(n); left > 0 {
		q.used[user] = left
	} else {
		delete(q.used, user)
	}
}
