package chat_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/codec"
)

// createGroup creates a group as u and returns its id and snapshot.
func (u *user) createGroup(name string, members ...string) (string, chat.Snapshot) {
	u.t.Helper()
	var snap chat.Snapshot
	j := u.join(chat.KindGroup, chat.GroupParams{Create: &chat.CreateGroup{Name: name, Members: members}}, &snap)
	return j.Room, snap
}

// TestGroupConcurrentSenders: three members send at once; every member
// sees the same messages in the same order, with seq strictly
// increasing, and history agrees.
func TestGroupConcurrentSenders(t *testing.T) {
	e := start(t, chat.Config{})
	names := []string{"alice", "bob", "carol"}
	users := []*user{e.dial("alice"), e.dial("bob"), e.dial("carol")}
	id, snap := users[0].createGroup("team", "bob", "carol")
	if snap.Head != 1 || len(snap.Messages) != 1 || snap.Messages[0].Kind != chat.KindMembers {
		t.Fatalf("creator's snapshot %+v", snap)
	}
	for _, u := range users[1:] {
		u.join(chat.KindGroup, chat.GroupParams{ID: id}, nil)
	}

	const perUser = 20
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range perUser {
				if _, err := u.Send(ctxT(t), id, chat.OpSend, chat.SendRequest{Text: fmt.Sprintf("%s %d", names[i], n)}); err != nil {
					t.Errorf("%s: %v", names[i], err)
					return
				}
			}
		}()
	}
	wg.Wait()

	var first []string
	for i, u := range users {
		var got []string
		last := uint64(1)
		for range perUser * len(users) {
			m := u.nextMessage(id)
			if m.Seq <= last {
				t.Fatalf("%s: seq %d after %d", names[i], m.Seq, last)
			}
			last = m.Seq
			got = append(got, fmt.Sprint(m.Seq, m.ID, m.From, m.Text))
		}
		if i == 0 {
			first = got
		} else if !slices.Equal(got, first) {
			t.Fatalf("%s saw another order than alice", names[i])
		}
	}
	page := users[1].history(id, 0, 100)
	var stored []string
	for _, m := range page.Messages[1:] { // after the creation entry
		stored = append(stored, fmt.Sprint(m.Seq, m.ID, m.From, m.Text))
	}
	if !slices.Equal(stored, first) {
		t.Fatal("history differs from what members saw")
	}
}

// TestGroupMembership: creation limits, admins adding and removing
// members, the member cap, leaving, and the admin handover.
func TestGroupMembership(t *testing.T) {
	e := start(t, chat.Config{MaxGroupMembers: 4, MaxGroupName: 10})
	alice, bob, carol, dave := e.dial("alice"), e.dial("bob"), e.dial("carol"), e.dial("dave")
	create := func(name string, members ...string) codec.Code {
		return alice.joinErr(chat.KindGroup, chat.GroupParams{Create: &chat.CreateGroup{Name: name, Members: members}})
	}
	if c := create(strings.Repeat("n", 11), "bob"); c != codec.CodeBadRequest {
		t.Fatalf("long name: %s", c)
	}
	if c := create("  ", "bob"); c != codec.CodeBadRequest {
		t.Fatalf("blank name: %s", c)
	}
	if c := create("big", "b", "c", "d", "e"); c != codec.CodeTooMany {
		t.Fatalf("five members: %s, want too_many", c)
	}
	if c := create("bad", ""); c != codec.CodeBadRequest {
		t.Fatalf("empty member id: %s", c)
	}

	id, snap := alice.createGroup(strings.Repeat("n", 10), "bob", "bob", "alice")
	g := snap.Group
	if g == nil || g.Name != "nnnnnnnnnn" || !slices.Equal(g.Members, []string{"alice", "bob"}) || !slices.Equal(g.Admins, []string{"alice"}) {
		t.Fatalf("group %+v", g)
	}
	bob.join(chat.KindGroup, chat.GroupParams{ID: id}, nil)
	if c := carol.joinErr(chat.KindGroup, chat.GroupParams{ID: id}); c != codec.CodeForbidden {
		t.Fatalf("non-member join: %s, want forbidden", c)
	}
	if c := bob.requestErr(id, chat.OpAddMembers, chat.MembersRequest{Members: []string{"carol"}}); c != codec.CodeForbidden {
		t.Fatalf("non-admin add: %s, want forbidden", c)
	}

	var added chat.Message
	alice.request(id, chat.OpAddMembers, chat.MembersRequest{Members: []string{"carol", "dave", "bob"}}, &added)
	if added.Kind != chat.KindMembers || !slices.Equal(added.Added, []string{"carol", "dave"}) || added.From != "alice" {
		t.Fatalf("add entry %+v", added)
	}
	var ev chat.Message
	bob.next(id, chat.KindMembers, &ev)
	if ev.ID != added.ID {
		t.Fatalf("bob got %+v", ev)
	}
	if c := alice.requestErr(id, chat.OpAddMembers, chat.MembersRequest{Members: []string{"erin"}}); c != codec.CodeTooMany {
		t.Fatalf("fifth member: %s, want too_many", c)
	}
	carol.join(chat.KindGroup, chat.GroupParams{ID: id}, nil)
	dave.join(chat.KindGroup, chat.GroupParams{ID: id}, nil)

	alice.request(id, chat.OpRemoveMembers, chat.MembersRequest{Members: []string{"carol"}}, nil)
	left := carol.nextAny(id, chat.EventPresence, chat.KindMembers)
	if !left.Left || left.Reason != "kicked" {
		t.Fatalf("carol got %+v, want a left frame", left)
	}
	if c := carol.joinErr(chat.KindGroup, chat.GroupParams{ID: id}); c != codec.CodeForbidden {
		t.Fatalf("removed member rejoining: %s, want forbidden", c)
	}
	if c := alice.requestErr(id, chat.OpRemoveMembers, chat.MembersRequest{Members: []string{"carol"}}); c != codec.CodeNotFound {
		t.Fatalf("removing a non-member: %s, want not_found", c)
	}

	// The last admin leaves: the longest standing member takes over.
	var leave chat.Message
	alice.request(id, chat.OpLeaveGroup, nil, &leave)
	if !slices.Equal(leave.Removed, []string{"alice"}) || !slices.Equal(leave.Admins, []string{"bob"}) {
		t.Fatalf("leave entry %+v", leave)
	}
	var info chat.Info
	bob.request(id, chat.OpInfo, nil, &info)
	if !slices.Equal(info.Room.Members, []string{"bob", "dave"}) || !slices.Equal(info.Room.Admins, []string{"bob"}) {
		t.Fatalf("info %+v", info)
	}
	if c := alice.requestErr(id, chat.OpSend, chat.SendRequest{Text: "hi"}); c != codec.CodeForbidden {
		t.Fatalf("send after leaving: %s, want forbidden", c)
	}
	bob.request(id, chat.OpAddMembers, chat.MembersRequest{Members: []string{"carol"}}, nil)
}

// TestGroupNotFound: opening a group that does not exist, or with an
// id of the wrong form, is not_found; a malformed request is bad_request.
func TestGroupNotFound(t *testing.T) {
	e := start(t, chat.Config{})
	alice := e.dial("alice")
	for _, p := range []chat.GroupParams{{ID: strings.Repeat("ab", 16)}, {ID: "nope"}} {
		if c := alice.joinErr(chat.KindGroup, p); c != codec.CodeNotFound {
			t.Fatalf("join %+v: %s, want not_found", p, c)
		}
	}
	for _, p := range []any{chat.GroupParams{}, chat.GroupParams{ID: "x", Create: &chat.CreateGroup{Name: "g"}}, []int{1}} {
		if c := alice.joinErr(chat.KindGroup, p); c != codec.CodeBadRequest {
			t.Fatalf("join %+v: %s, want bad_request", p, c)
		}
	}
	// A DM's id is not a group.
	id, _ := alice.dm("bob")
	if c := alice.joinErr(chat.KindGroup, chat.GroupParams{ID: id}); c != codec.CodeNotFound {
		t.Fatalf("DM id as a group: %s, want not_found", c)
	}
}

// TestGroupCreateOnce: a creation with a nonce is idempotent per creator.
// The same join again (as a client's rejoin after a reconnect sends it)
// opens the group it created, with no second group and no second
// creation entry; the same nonce from another creator, or another nonce,
// is another group; a member may not take the creator's params to open
// it as a non-member; a nonce too long is refused.
func TestGroupCreateOnce(t *testing.T) {
	e := start(t, chat.Config{MaxGroupsPerUser: 2})
	alice, bob, carol := e.dial("alice"), e.dial("bob"), e.dial("carol")
	create := chat.GroupParams{Create: &chat.CreateGroup{Name: "once", Members: []string{"bob"}, Nonce: "n-1"}}
	var snap chat.Snapshot
	first := alice.join(chat.KindGroup, create, &snap).Room
	if snap.Group == nil || snap.Group.ID != first {
		t.Fatalf("snapshot %+v", snap.Group)
	}
	alice.say(first, "hello")
	again := alice.join(chat.KindGroup, create, nil).Room
	if again != first {
		t.Fatalf("the same creation opened %s, want %s", again, first)
	}
	if h := alice.history(first, 0, 10); len(h.Messages) != 2 || h.Messages[0].Kind != chat.KindMembers || h.Messages[1].Text != "hello" {
		t.Fatalf("history %+v, want one creation entry and the message", h.Messages)
	}
	// A fresh connection too (a reconnect), and past the group limit: the
	// group exists, so nothing is created.
	other := alice.join(chat.KindGroup, chat.GroupParams{Create: &chat.CreateGroup{Name: "two", Nonce: "n-2"}}, nil).Room
	if other == first {
		t.Fatal("another nonce opened the same group")
	}
	if c := alice.joinErr(chat.KindGroup, chat.GroupParams{Create: &chat.CreateGroup{Name: "three", Nonce: "n-3"}}); c != codec.CodeLimitExceeded {
		t.Fatalf("a third group: %s, want limit_exceeded", c)
	}
	if got := e.dial("alice").join(chat.KindGroup, create, nil).Room; got != first {
		t.Fatalf("from a new connection the creation opened %s, want %s", got, first)
	}

	// bob's creation with alice's nonce is bob's own group.
	bobs := bob.join(chat.KindGroup, chat.GroupParams{Create: &chat.CreateGroup{Name: "once", Nonce: "n-1"}}, nil).Room
	if bobs == first {
		t.Fatal("bob's creation with alice's nonce opened alice's group")
	}
	// carol, not a member, cannot open alice's group by naming its id.
	if c := carol.joinErr(chat.KindGroup, chat.GroupParams{ID: first}); c != codec.CodeForbidden {
		t.Fatalf("carol opening alice's group: %s, want forbidden", c)
	}
	long := chat.GroupParams{Create: &chat.CreateGroup{Name: "long", Nonce: strings.Repeat("n", chat.MaxNonceLen+1)}}
	if c := alice.joinErr(chat.KindGroup, long); c != codec.CodeBadRequest {
		t.Fatalf("a nonce of %d bytes: %s, want bad_request", chat.MaxNonceLen+1, c)
	}
}

// staleRooms is a Store whose first lookup of each room misses, as one
// made just before another server stored the room would.
type staleRooms struct {
	chat.Store
	seen *sync.Map
}

func (s staleRooms) Room(ctx context.Context, id string) (chat.RoomInfo, error) {
	if _, again := s.seen.LoadOrStore(id, true); !again {
		return chat.RoomInfo{}, chat.ErrNotFound
	}
	return s.Store.Room(ctx, id)
}

// TestGroupCreateOnceTwoServers: the same creation on two servers sharing
// a store ends with one group, which both joins open: when the second
// server looked the group up before the first stored it (its store write
// then finds the log begun), and when both run at once.
func TestGroupCreateOnceTwoServers(t *testing.T) {
	st := chat.NewMemoryStore()
	a, b := start(t, chat.Config{Store: st}), start(t, chat.Config{Store: staleRooms{st, new(sync.Map)}})
	create := chat.GroupParams{Create: &chat.CreateGroup{Name: "late", Members: []string{"bob"}, Nonce: "late"}}
	first := a.dial("alice").join(chat.KindGroup, create, nil).Room
	if got := b.dial("alice").join(chat.KindGroup, create, nil).Room; got != first {
		t.Fatalf("the second server's creation opened %s, want %s", got, first)
	}
	for round := range 20 {
		a, b := start(t, chat.Config{Store: st}), start(t, chat.Config{Store: st})
		nonce := fmt.Sprint("race-", round)
		create := chat.GroupParams{Create: &chat.CreateGroup{Name: "race", Members: []string{"bob"}, Nonce: nonce}}
		ids, errs := joinAtOnce(t, create, a.dial("alice"), b.dial("alice"))
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("round %d: %v", round, errs)
		}
		if ids[0] != ids[1] {
			t.Fatalf("round %d: the two creations opened %s and %s", round, ids[0], ids[1])
		}
		h, err := st.History(ctxT(t), ids[0], 0, 10)
		if err != nil || len(h) != 1 || h[0].Kind != chat.KindMembers {
			t.Fatalf("round %d: log %+v (%v), want one creation entry", round, h, err)
		}
	}
}

// scriptedRooms is a Store whose room lookups miss at the call numbers
// in miss (counted from 1).
type scriptedRooms struct {
	chat.Store
	miss    map[int]bool
	lookups atomic.Int32
}

func (s *scriptedRooms) Room(ctx context.Context, id string) (chat.RoomInfo, error) {
	if s.miss[int(s.lookups.Add(1))] {
		return chat.RoomInfo{}, chat.ErrNotFound
	}
	return s.Store.Room(ctx, id)
}

// joinAtOnce joins each of users to a group with params, all at once,
// and returns the room ids and errors, in the order of users.
func joinAtOnce(t *testing.T, params chat.GroupParams, users ...*user) ([]string, []error) {
	ids := make([]string, len(users))
	errs := make([]error, len(users))
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Go(func() {
			j, err := u.Join(ctxT(t), chat.KindGroup, params)
			if err == nil {
				ids[i] = j.Room
			}
			errs[i] = err
		})
	}
	wg.Wait()
	return ids, errs
}

// slowRooms is a Store whose room lookups take a while, so that two
// creations on one server overlap.
type slowRooms struct{ chat.Store }

func (s slowRooms) Room(ctx context.Context, id string) (chat.RoomInfo, error) {
	time.Sleep(50 * time.Millisecond)
	return s.Store.Room(ctx, id)
}

// TestGroupCreateOnceAtLimit: a creation that repeats one already stored
// opens the group also when the creator has reached the group limit with
// it: when the two run at once on one server, and when the second server
// looked the group up before the first stored it.
func TestGroupCreateOnceAtLimit(t *testing.T) {
	create := chat.GroupParams{Create: &chat.CreateGroup{Name: "last", Members: []string{"bob"}, Nonce: "last"}}
	t.Run("one server", func(t *testing.T) {
		e := start(t, chat.Config{Store: slowRooms{chat.NewMemoryStore()}, MaxGroupsPerUser: 1})
		ids, errs := joinAtOnce(t, create, e.dial("alice"), e.dial("alice"))
		if errs[0] != nil || errs[1] != nil || ids[0] != ids[1] {
			t.Fatalf("two creations at once at the limit: %v, %v", ids, errs)
		}
	})
	t.Run("daily quota", func(t *testing.T) {
		// The repeat's lookup misses (made just before the first
		// creation was stored), and the first used up the day's bytes.
		st := &scriptedRooms{Store: chat.NewMemoryStore(), miss: map[int]bool{1: true, 3: true}}
		e := start(t, chat.Config{Store: st, DailyBytesPerUser: len("last")})
		first := e.dial("alice").join(chat.KindGroup, create, nil).Room
		if got := e.dial("alice").join(chat.KindGroup, create, nil).Room; got != first {
			t.Fatalf("the repeat opened %s, want %s", got, first)
		}
		if n := st.lookups.Load(); n != 4 {
			t.Fatalf("%d room lookups, want 4 (the script did not run as planned)", n)
		}
	})
	t.Run("two servers", func(t *testing.T) {
		st := chat.NewMemoryStore()
		a := start(t, chat.Config{Store: st, MaxGroupsPerUser: 1})
		b := start(t, chat.Config{Store: staleRooms{st, new(sync.Map)}, MaxGroupsPerUser: 1})
		first := a.dial("alice").join(chat.KindGroup, create, nil).Room
		if got := b.dial("alice").join(chat.KindGroup, create, nil).Room; got != first {
			t.Fatalf("the second server's creation opened %s, want %s", got, first)
		}
	})
}

// downAppends is a Store whose appends fail as a database that cannot
// be reached does (an error coded unavailable), or with a plain error.
type downAppends struct {
	chat.Store
	err error
}

func (s downAppends) Append(context.Context, chat.Write) (chat.Message, bool, error) {
	return chat.Message{}, false, s.err
}

// TestGroupCreateStoreDown: a group creation whose store write fails is
// refused with the store's code when it has one (unavailable: the client
// tries again), and internal otherwise, without the store's words; the
// creator can create the group once the store is back.
func TestGroupCreateStoreDown(t *testing.T) {
	st := chat.NewMemoryStore()
	down := &codec.Error{Code: codec.CodeUnavailable, Message: "store: database unavailable"}
	create := chat.GroupParams{Create: &chat.CreateGroup{Name: "g", Members: []string{"bob"}}}
	for _, tc := range []struct {
		err  error
		want codec.Code
	}{
		{fmt.Errorf("append: %w", down), codec.CodeUnavailable},
		{errors.New("disk on fire"), codec.CodeInternal},
	} {
		e := start(t, chat.Config{Store: downAppends{st, tc.err}})
		if c := e.dial("alice").joinErr(chat.KindGroup, create); c != tc.want {
			t.Fatalf("store error %q: %s, want %s", tc.err, c, tc.want)
		}
	}
	if got := start(t, chat.Config{Store: st}).dial("alice").join(chat.KindGroup, create, nil).Room; got == "" {
		t.Fatal("no group created with the store back")
	}
}
