package pgstore

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/internal/pgtest"
)

// loadInboxes fills the store's tables directly (the store would take
// minutes to append this much one entry at a time): user "heavy" has
// conversations dm1..dm<n> with u1..u<n>, and users x<i> and y<i> have n
// conversations of their own, so the tables hold more than heavy's rows.
// Every room has 3 messages: seqs 1 and 3 from the other user, 2 from
// heavy (or y<i>); dm<i> was last updated at 100000+i; heavy has read dm<i>
// up to seq 1 when i is even, and muted it when i is a multiple of 3; x<i>
// muted xy<i>. Heavy also hid n newer conversations, hid1..hid<n> with
// v1..v<n>, last updated at 200000+i: they would top the inbox.
func loadInboxes(t *testing.T, s *Store, n int) {
	t.Helper()
	ctx := context.Background()
	load := []string{
		`INSERT INTO rooms (id, kind, members, created)
			SELECT 'dm' || i, $2, ARRAY['heavy', 'u' || i], i FROM generate_series(1, $1) i
			UNION ALL SELECT 'xy' || i, $2, ARRAY['x' || i, 'y' || i], i FROM generate_series(1, $1) i
			UNION ALL SELECT 'hid' || i, $2, ARRAY['heavy', 'v' || i], i FROM generate_series(1, $1) i`,
		`INSERT INTO members (user_id, room, updated)
			SELECT u, 'dm' || i, 100000 + i FROM generate_series(1, $1) i, unnest(ARRAY['heavy', 'u' || i]) u
			UNION ALL SELECT u, 'xy' || i, 100000 + i FROM generate_series(1, $1) i, unnest(ARRAY['x' || i, 'y' || i]) u`,
		`INSERT INTO members (user_id, room, updated, hidden)
			SELECT u, 'hid' || i, 200000 + i, u = 'heavy' FROM generate_series(1, $1) i, unnest(ARRAY['heavy', 'v' || i]) u`,
		`INSERT INTO settings (room, user_id, muted, hidden)
			SELECT 'dm' || i, 'heavy', true, false FROM generate_series(3, $1, 3) i
			UNION ALL SELECT 'xy' || i, 'x' || i, true, false FROM generate_series(1, $1) i
			UNION ALL SELECT 'hid' || i, 'heavy', false, true FROM generate_series(1, $1) i`,
		`INSERT INTO logs (room, head, last_msg, updated)
			SELECT p || i, 3, 3, 100000 + i FROM generate_series(1, $1) i, unnest(ARRAY['dm', 'xy']) p`,
		`INSERT INTO entries (room, seq, id, kind, from_user, time, text)
			SELECT p || i, q, p || i || '-' || q, 'message',
				CASE WHEN q % 2 = 1 THEN (CASE p WHEN 'dm' THEN 'u' ELSE 'x' END) || i
					ELSE (CASE p WHEN 'dm' THEN 'heavy' ELSE 'y' || i END) END,
				100000 + i - 3 + q, 'hello ' || q
			FROM generate_series(1, $1) i, generate_series(1, 3) q, unnest(ARRAY['dm', 'xy']) p`,
		`INSERT INTO reads (room, user_id, seq) SELECT 'dm' || i, 'heavy', 1 FROM generate_series(2, $1, 2) i`,
	}
	for i, sql := range load {
		args := []any{n}
		if i == 0 {
			args = append(args, chat.KindDM)
		}
		if _, err := s.pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	if _, err := s.pool.Exec(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
}

// TestInboxPlan: a page of the inbox of a user with 10,000 conversations
// (and 10,000 newer hidden ones), at the top and deep in the inbox, is
// read from the members_inbox index in order, starting at the cursor, and
// stops at the limit, without reading the hidden conversations; every
// other table is reached by index, and nothing is sorted or scanned whole.
func TestInboxPlan(t *testing.T) {
	const n = 10000
	ctx := context.Background()
	s := openStore(t, pgtest.NewSchema(t), Options{})
	loadInboxes(t, s, n)

	wantIndex := regexp.MustCompile(fmt.Sprintf(`Index (Only )?Scan using members_inbox on members m \(actual rows=%d loops=1\)`, chat.DefaultInboxLimit))
	for _, cur := range []chat.InboxCursor{{Updated: math.MaxInt64}, {Updated: 100000 + n/2, Room: fmt.Sprint("dm", n/2)}} {
		plan := pgtest.Explain(t, s.pool, sqlConversations, "heavy", chat.DefaultInboxLimit, chat.DefaultUnreadCap, cur.Updated, cur.Room)
		t.Logf("inbox plan after %+v for a user with %d conversations:\n%s", cur, n, plan)
		if !wantIndex.MatchString(plan) {
			t.Errorf("after %+v: the plan does not read %d rows from members_inbox", cur, chat.DefaultInboxLimit)
		}
		if n := removedFromInbox(plan); n > 1 {
			t.Errorf("after %+v: the members_inbox scan removed %d rows by filter, want at most the cursor's own", cur, n)
		}
		for _, bad := range []string{"Seq Scan", "Sort", "Hash"} {
			if strings.Contains(plan, bad) {
				t.Errorf("after %+v: the plan has a %s", cur, bad)
			}
		}
	}
	page, err := s.ConversationsBefore(ctx, "heavy", chat.InboxCursor{Updated: 100000 + n/2, Room: fmt.Sprint("dm", n/2)}, 3, 10)
	if err != nil || len(page) != 3 || page[0].Room != fmt.Sprint("dm", n/2-1) || page[2].Room != fmt.Sprint("dm", n/2-3) {
		t.Fatalf("the page after dm%d: %v, %v", n/2, page, err)
	}

	// The page is right, and the store keeps it right as it writes.
	list, err := s.Conversations(ctx, "heavy", chat.DefaultInboxLimit, chat.DefaultUnreadCap)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != chat.DefaultInboxLimit {
		t.Fatalf("%d conversations, want %d", len(list), chat.DefaultInboxLimit)
	}
	for i, c := range list {
		id := n - i
		wantUnread := 2 - (id+1)%2 // read to seq 1 when id is even
		if c.Room != fmt.Sprint("dm", id) || c.With != fmt.Sprint("u", id) || c.Head != 3 ||
			c.Updated != int64(100000+id) || c.Unread != wantUnread || c.Last == nil || c.Last.Text != "hello 3" ||
			c.Muted != (id%3 == 0) {
			t.Fatalf("conversation %d: %+v", i, c)
		}
	}
	e := chat.Message{Room: "dm5", Seq: 4, ID: "new", Kind: chat.KindMessage, From: "u5", Time: 900000, Text: "back"}
	if _, _, err := s.Append(ctx, chat.Write{Entry: e}); err != nil {
		t.Fatal(err)
	}
	list, err = s.Conversations(ctx, "heavy", 2, chat.DefaultUnreadCap)
	if err != nil || len(list) != 2 || list[0].Room != "dm5" || list[0].Unread != 3 || list[0].Last.Text != "back" ||
		list[1].Room != fmt.Sprint("dm", n) {
		t.Fatalf("after a new message in dm5: %+v, %v", list, err)
	}
	// The other users' inboxes are their own.
	if list, err := s.Conversations(ctx, "x7", 0, 10); err != nil || len(list) != 1 || list[0].Room != "xy7" || list[0].Unread != 1 {
		t.Fatalf("x7's inbox: %+v, %v", list, err)
	}
}

// removedFromInbox returns the "Rows Removed by Filter" of the plan's
// members_inbox scan: the index rows it read and dropped.
func removedFromInbox(plan string) int {
	lines := strings.Split(plan, "\n")
	for i, line := range lines {
		if !strings.Contains(line, "using members_inbox") {
			continue
		}
		for _, prop := range lines[i+1:] {
			if strings.Contains(prop, "->") {
				break
			}
			var n int
			if _, err := fmt.Sscanf(strings.TrimSpace(prop), "Rows Removed by Filter: %d", &n); err == nil {
				return n
			}
		}
	}
	return 0
}
