package main

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/parlorhq/parlor/codec"
)

// The notices of the last minutes, for pages that were loading when they
// were sent. The user channel replays what a page missed only to the same
// page reconnecting; a page that replaces another (a link followed, a
// reload) joins the channel afresh and would never see what was sent while
// it loaded. So every notice the modules send goes through noticeLog,
// which keeps each user's newest few, numbered, and GET /api/notices hands
// a page those after the number the previous page in the tab had reached
// (sessionStorage), or after the number current when the page was
// rendered. The page asks once it has joined the channel, so from then on
// everything reaches it live, and shows each notice once (notices.js).

// Bounds of the notices kept per user.
const (
	// recentNotices is how many notices are kept per user.
	recentNotices = 10
	// recentNoticeAge is how long a notice is kept.
	recentNoticeAge = 5 * time.Minute
	// noticeSweepMin is the fewest users kept before a sweep drops those
	// whose notices are all too old.
	noticeSweepMin = 1024
)

// notifier is what the modules notify through: *engine.Engine.
type notifier interface {
	Notify(user, event string, data any) error
}

// recentNotice is one kept notice, as GET /api/notices returns it.
type recentNotice struct {
	// ID numbers the notices of every user, in the order sent.
	ID uint64 `json:"id"`
	// Event is the user channel event: games.challenge, games.your_turn
	// or chat.conversation.
	Event string `json:"event"`
	// Data is its payload, with the field names it has on the channel.
	Data any `json:"data"`
	at   time.Time
}

// noticeLog is a notifier that keeps each user's recent notices and
// passes every notice on.
type noticeLog struct {
	next notifier
	now  func() time.Time

	mu      sync.Mutex
	last    uint64
	by      map[string][]recentNotice
	sweepAt int
}

func newNoticeLog(next notifier) *noticeLog {
	return &noticeLog{next: next, now: time.Now, by: make(map[string][]recentNotice), sweepAt: noticeSweepMin}
}

// Notify keeps the notice, then sends it on.
func (l *noticeLog) Notify(user, event string, data any) error {
	l.keep(user, event, data)
	return l.next.Notify(user, event, data)
}

// keep records a notice for user, as the channel encodes it.
func (l *noticeLog) keep(user, event string, data any) {
	raw, err := codec.MarshalData(data)
	if err != nil {
		return
	}
	var plain any
	if err := msgpack.Unmarshal(raw, &plain); err != nil {
		return
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.last++
	list := append(fresh(l.by[user], now), recentNotice{ID: l.last, Event: event, Data: plain, at: now})
	if len(list) > recentNotices {
		list = list[len(list)-recentNotices:]
	}
	l.by[user] = list
	if len(l.by) >= l.sweepAt {
		for u, ns := range l.by {
			if ns = fresh(ns, now); len(ns) == 0 {
				delete(l.by, u)
			} else {
				l.by[u] = ns
			}
		}
		l.sweepAt = max(2*len(l.by), noticeSweepMin)
	}
}

// fresh returns the notices of list not older than recentNoticeAge.
func fresh(list []recentNotice, now time.Time) []recentNotice {
	for len(list) > 0 && now.Sub(list[0].at) > recentNoticeAge {
		list = list[1:]
	}
	return list
}

// mark returns the number of the newest notice sent to anyone.
func (l *noticeLog) mark() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

// since returns user's kept notices numbered above after, oldest first,
// and the number of the newest notice sent to anyone.
func (l *noticeLog) since(user string, after uint64) ([]recentNotice, uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []recentNotice{}
	for _, n := range fresh(l.by[user], l.now()) {
		if n.ID > after {
			out = append(out, n)
		}
	}
	return out, l.last
}

// listNotices handles GET /api/notices?after=N: {notices, mark}, the
// signed-in user's notices of the last minutes numbered above N, oldest
// first, and the number to ask after next time.
func (a *Arcade) listNotices(w http.ResponseWriter, r *http.Request, me string) {
	after, err := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64)
	if err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", "after must be a notice number")
		return
	}
	list, mark := a.notices.since(me, after)
	writeJSON(w, http.StatusOK, map[string]any{"notices": list, "mark": mark})
}
