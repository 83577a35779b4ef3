package main

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/parlorhq/parlor/games"
)

// recentNotices returns user's notices after mark from GET /api/notices.
func (ta *testArcade) recentNotices(h http.Header, after uint64) ([]recentNotice, uint64) {
	ta.t.Helper()
	resp := ta.do(http.MethodGet, "/api/notices?after="+strconv.FormatUint(after, 10), h, nil)
	body := readBody(ta.t, resp)
	if resp.StatusCode != http.StatusOK {
		ta.t.Fatalf("GET /api/notices = %d: %s", resp.StatusCode, body)
	}
	var out struct {
		Notices []recentNotice
		Mark    uint64
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		ta.t.Fatalf("decode %s: %v", body, err)
	}
	return out.Notices, out.Mark
}

// TestRecentNotices: GET /api/notices gives a user the notices sent to
// them after a mark, with the payload as the channel has it, even while
// they had no connection; another user's list does not have them; a bad
// mark is bad_request.
func TestRecentNotices(t *testing.T) {
	ta := startArcade(t, "")
	aliceH, bobH := ta.login("alice"), ta.login("bob")
	_, mark := ta.recentNotices(bobH, 0)
	alice := ta.dial(aliceH)
	if _, err := alice.Join(ctx10s(t), "games.chess", games.JoinParams{Opponent: "bob", Nonce: "k1"}); err != nil {
		t.Fatal(err)
	}
	ta.waitChallenges(bobH, 1)
	list, next := ta.recentNotices(bobH, mark)
	if len(list) != 1 || list[0].Event != games.EventChallenge || next <= mark || list[0].ID > next {
		t.Fatalf("bob's notices after %d: %+v (mark %d)", mark, list, next)
	}
	d, _ := list[0].Data.(map[string]any)
	if d["state"] != games.ChallengeOffered || d["from"] != "alice" || d["nonce"] != "k1" {
		t.Fatalf("the notice's data: %+v", list[0].Data)
	}
	if list, _ := ta.recentNotices(bobH, next); len(list) != 0 {
		t.Fatalf("bob's notices after %d: %+v", next, list)
	}
	if list, _ := ta.recentNotices(aliceH, mark); len(list) != 0 {
		t.Fatalf("alice's notices: %+v", list)
	}
	resp := ta.do(http.MethodGet, "/api/notices?after=x", bobH, nil)
	if _ = readBody(t, resp); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a bad mark: %d, want 400", resp.StatusCode)
	}
}

// nopNotifier stands for the engine in noticeLog's own test.
type nopNotifier struct{}

func (nopNotifier) Notify(string, string, any) error { return nil }

// TestNoticeLogBounds: a user's list keeps the newest recentNotices for
// recentNoticeAge; a flood at one user leaves another's list as it was.
func TestNoticeLogBounds(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := newNoticeLog(nopNotifier{})
	l.now = func() time.Time { return now }
	_ = l.Notify("carol", "chat.conversation", map[string]string{"room": "c1"})
	for i := range recentNotices + 5 {
		_ = l.Notify("bob", "chat.conversation", map[string]string{"room": strconv.Itoa(i)})
	}
	list, mark := l.since("bob", 0)
	if len(list) != recentNotices || list[0].ID != 7 || list[len(list)-1].ID != mark {
		t.Fatalf("bob's list: %d notices from %d, mark %d", len(list), list[0].ID, mark)
	}
	if c, _ := l.since("carol", 0); len(c) != 1 || c[0].ID != 1 {
		t.Fatalf("carol's list: %+v", c)
	}
	now = now.Add(recentNoticeAge)
	if list, _ := l.since("bob", 0); len(list) != recentNotices {
		t.Fatalf("at the age bound bob has %d notices", len(list))
	}
	now = now.Add(time.Millisecond)
	if list, _ := l.since("bob", 0); len(list) != 0 {
		t.Fatalf("past the age bound bob has %d notices", len(list))
	}
}
