// Package storetest is the conformance suite of games.Store: every
// implementation runs it from its own tests,
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) games.Store {
//			return games.NewMemoryStore()
//		})
//	}
//
// and so behaves as the match rooms expect. Closing the store is left to
// the caller (t.Cleanup in newStore), as are limits of an implementation
// that Run does not check.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/parlorhq/parlor/games"
)

// Run runs the suite, each test on a fresh store from newStore.
func Run(t *testing.T, newStore func(t *testing.T) games.Store) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, games.Store)
	}{
		{"CreateLoad", testCreateLoad},
		{"Info", testInfo},
		{"Waiting", testWaiting},
		{"AppendSeq", testAppendSeq},
		{"AppendAtomic", testAppendAtomic},
		{"Entries", testEntries},
		{"Copies", testCopies},
		{"Finished", testFinished},
		{"FinishedPaging", testFinishedPaging},
		{"FinishedAgain", testFinishedAgain},
		{"RacingWriters", testRacingWriters},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

var ctx = context.Background()

// info returns a match record of id between a and b.
func info(id, a, b string) games.MatchInfo {
	return games.MatchInfo{ID: id, Kind: "games.test", Players: []string{a, b}, Creator: a, Nonce: "n-" + id, Epoch: "ep-" + id,
		Start: "start", TimeControl: games.TimeControl{Base: time.Minute, Increment: time.Second}, Created: 1000}
}

// entry returns a moved entry with seq.
func entry(seq uint64) games.Entry {
	move := msgpack.RawMessage{0x81, 0xa4, 'c', 'e', 'l', 'l', byte(seq % 9)}
	return games.Entry{Seq: seq, Event: games.EventMoved, Data: msgpack.RawMessage{0x91, byte(seq & 0x7f)},
		At: 2000 + int64(seq), Move: move, ClientMsgID: fmt.Sprint("m", seq)}
}

func mustCreate(t *testing.T, s games.Store, m games.MatchInfo) {
	t.Helper()
	if err := s.Create(ctx, m); err != nil {
		t.Fatalf("Create %s: %v", m.ID, err)
	}
}

func mustAppend(t *testing.T, s games.Store, w games.Write) {
	t.Helper()
	if err := s.Append(ctx, w); err != nil {
		t.Fatalf("Append %s: %v", w.Match, err)
	}
}

func seqs(log []games.Entry) []uint64 {
	out := make([]uint64, len(log))
	for i, e := range log {
		out[i] = e.Seq
	}
	return out
}

// testCreateLoad: a created match loads as created, with an empty log; a
// second Create of the id is refused and changes nothing; an unknown id
// is not found.
func testCreateLoad(t *testing.T, s games.Store) {
	want := info("m1", "alice", "bob")
	mustCreate(t, s, want)
	got, log, err := s.Load(ctx, "m1")
	if err != nil || len(log) != 0 {
		t.Fatalf("Load = %v, %v", log, err)
	}
	if !equalInfo(got, want) {
		t.Fatalf("Load = %+v, want %+v", got, want)
	}
	other := info("m1", "carol", "dave")
	if err := s.Create(ctx, other); !errors.Is(err, games.ErrMatchExists) {
		t.Fatalf("second Create: %v, want ErrMatchExists", err)
	}
	if got, _, _ := s.Load(ctx, "m1"); !equalInfo(got, want) {
		t.Fatalf("after a refused Create: %+v", got)
	}
	if _, _, err := s.Load(ctx, "nope"); !errors.Is(err, games.ErrNotFound) {
		t.Fatalf("Load unknown: %v, want ErrNotFound", err)
	}
}

func equalInfo(a, b games.MatchInfo) bool {
	return a.ID == b.ID && a.Kind == b.Kind && slices.Equal(a.Players, b.Players) && a.Creator == b.Creator && a.Nonce == b.Nonce &&
		a.Epoch == b.Epoch && a.Start == b.Start && a.TimeControl == b.TimeControl && a.Created == b.Created
}

// testAppendSeq: entries must follow the head; a stale or early seq is
// ErrSeqConflict and changes nothing, here or in a bystander match; an
// unknown match is ErrNotFound.
func testAppendSeq(t *testing.T, s games.Store) {
	mustCreate(t, s, info("m1", "a", "b"))
	mustCreate(t, s, info("by", "c", "d"))
	mustAppend(t, s, games.Write{Match: "by", Entries: []games.Entry{entry(1)}})
	mustAppend(t, s, games.Write{Match: "m1", Entries: []games.Entry{entry(1), entry(2)}})
	mustAppend(t, s, games.Write{Match: "m1", Entries: []games.Entry{entry(3)}})
	for _, seq := range []uint64{0, 1, 3, 5} {
		if err := s.Append(ctx, games.Write{Match: "m1", Entries: []games.Entry{entry(seq)}}); !errors.Is(err, games.ErrSeqConflict) {
			t.Fatalf("append seq %d at head 3: %v, want ErrSeqConflict", seq, err)
		}
	}
	if err := s.Append(ctx, games.Write{Match: "nope", Entries: []games.Entry{entry(1)}}); !errors.Is(err, games.ErrNotFound) {
		t.Fatalf("append to an unknown match: %v, want ErrNotFound", err)
	}
	_, log, err := s.Load(ctx, "m1")
	if err != nil || !slices.Equal(seqs(log), []uint64{1, 2, 3}) {
		t.Fatalf("log = %v, %v", seqs(log), err)
	}
	for i, e := range log {
		if !equalEntry(e, entry(uint64(i+1))) {
			t.Fatalf("entry %d = %+v", i+1, e)
		}
	}
	if _, log, _ := s.Load(ctx, "by"); !slices.Equal(seqs(log), []uint64{1}) {
		t.Fatalf("bystander log = %v", seqs(log))
	}
}

func equalEntry(a, b games.Entry) bool {
	return a.Seq == b.Seq && a.Event == b.Event && slices.Equal(a.Data, b.Data) && a.At == b.At &&
		slices.Equal(a.Move, b.Move) && a.ClientMsgID == b.ClientMsgID
}

// testAppendAtomic: a Write whose entries do not follow one another
// stores none of them, and not its finished game either.
func testAppendAtomic(t *testing.T, s games.Store) {
	mustCreate(t, s, info("m1", "a", "b"))
	g := finished("m1", "a", "b", 5000)
	err := s.Append(ctx, games.Write{Match: "m1", Entries: []games.Entry{entry(1), entry(3)}, Finished: &g})
	if !errors.Is(err, games.ErrSeqConflict) {
		t.Fatalf("gapped write: %v, want ErrSeqConflict", err)
	}
	if _, log, _ := s.Load(ctx, "m1"); len(log) != 0 {
		t.Fatalf("a refused write left %v", seqs(log))
	}
	if list, _ := s.Finished(ctx, "a", games.HistoryCursor{}, 10); len(list) != 0 {
		t.Fatalf("a refused write recorded %d finished games", len(list))
	}
}

// testEntries: Entries pages through a log by seq.
func testEntries(t *testing.T, s games.Store) {
	mustCreate(t, s, info("m1", "a", "b"))
	for seq := uint64(1); seq <= 10; seq++ {
		mustAppend(t, s, games.Write{Match: "m1", Entries: []games.Entry{entry(seq)}})
	}
	for _, tc := range []struct {
		after uint64
		limit int
		want  []uint64
	}{
		{0, 3, []uint64{1, 2, 3}},
		{7, 10, []uint64{8, 9, 10}},
		{4, 2, []uint64{5, 6}},
		{10, 5, []uint64{}},
		{12, 5, []uint64{}},
		{math.MaxUint64, 5, []uint64{}}, // after+1 must not wrap to the start
		{0, 0, []uint64{}},
		{0, -1, []uint64{}},
	} {
		got, err := s.Entries(ctx, "m1", tc.after, tc.limit)
		if err != nil || !slices.Equal(seqs(got), tc.want) {
			t.Fatalf("Entries(after %d, limit %d) = %v, %v; want %v", tc.after, tc.limit, seqs(got), err, tc.want)
		}
		for _, e := range got {
			if !equalEntry(e, entry(e.Seq)) {
				t.Fatalf("entry %d = %+v", e.Seq, e)
			}
		}
	}
	if got, err := s.Entries(ctx, "nope", 0, 5); err != nil || len(got) != 0 {
		t.Fatalf("Entries of an unknown match = %v, %v", seqs(got), err)
	}
}

// testCopies: what the store returns shares nothing with what it holds,
// or with what it was given.
func testCopies(t *testing.T, s games.Store) {
	m := info("m1", "a", "b")
	mustCreate(t, s, m)
	m.Players[0] = "mallory"
	e := entry(1)
	mustAppend(t, s, games.Write{Match: "m1", Entries: []games.Entry{e}})
	e.Data[1], e.Move[1] = 0x7f, 0x7f
	got, log, _ := s.Load(ctx, "m1")
	if got.Players[0] != "a" || !equalEntry(log[0], entry(1)) {
		t.Fatalf("the store kept the caller's slices: %v, %+v", got.Players, log[0])
	}
	got.Players[0], log[0].Data[1] = "x", 0x7f
	got, log, _ = s.Load(ctx, "m1")
	if got.Players[0] != "a" || !equalEntry(log[0], entry(1)) {
		t.Fatalf("Load returned the store's own slices: %v, %+v", got.Players, log[0])
	}
}

// finished returns a finished game in room between a and b that ended
// at ended (Unix ms), with two moves.
func finished(room, a, b string, ended int64) games.FinishedGame {
	return games.FinishedGame{
		Kind: "games.test", Room: room, Players: []string{a, b},
		Moves: []games.LoggedMove{
			{Seat: 0, Move: msgpack.RawMessage{0x81, 0xa4, 'c', 'e', 'l', 'l', 4}, AtMS: ended - 2000},
			{Seat: 1, Move: msgpack.RawMessage{0x81, 0xa4, 'c', 'e', 'l', 'l', 0}, AtMS: ended - 1000},
		},
		Result:      games.Result{Winner: 0, Reason: games.ReasonResignation},
		TimeControl: games.TimeControl{Base: time.Minute},
		Started:     time.UnixMilli(ended - 5000).UTC(),
		Ended:       time.UnixMilli(ended).UTC(),
	}
}

func rooms(list []games.FinishedGame) []string {
	out := make([]string, len(list))
	for i, g := range list {
		out[i] = g.Room
	}
	return out
}

// finish stores a match between a and b in room, finished at ended.
func finish(t *testing.T, s games.Store, room, a, b string, ended int64) games.FinishedGame {
	t.Helper()
	mustCreate(t, s, info(room, a, b))
	g := finished(room, a, b, ended)
	mustAppend(t, s, games.Write{Match: room, Entries: []games.Entry{entry(1)}, Finished: &g})
	return g
}

// testFinished: a finished game is in the history of each of its
// players, as it was written, and of nobody else.
func testFinished(t *testing.T, s games.Store) {
	want := finish(t, s, "m1", "alice", "bob", 10_000)
	for _, u := range []string{"alice", "bob"} {
		list, err := s.Finished(ctx, u, games.HistoryCursor{}, 10)
		if err != nil || len(list) != 1 {
			t.Fatalf("%s's history: %v, %v", u, rooms(list), err)
		}
		g := list[0]
		if g.Kind != want.Kind || g.Room != want.Room || !slices.Equal(g.Players, want.Players) ||
			g.Result != want.Result || g.TimeControl != want.TimeControl ||
			!g.Started.Equal(want.Started) || !g.Ended.Equal(want.Ended) || len(g.Moves) != 2 {
			t.Fatalf("%s's game = %+v, want %+v", u, g, want)
		}
		for i, m := range g.Moves {
			if m.Seat != want.Moves[i].Seat || !slices.Equal(m.Move, want.Moves[i].Move) || m.AtMS != want.Moves[i].AtMS {
				t.Fatalf("move %d = %+v, want %+v", i, m, want.Moves[i])
			}
		}
	}
	if list, err := s.Finished(ctx, "carol", games.HistoryCursor{}, 10); err != nil || len(list) != 0 {
		t.Fatalf("a bystander's history: %v, %v", rooms(list), err)
	}
	if list, err := s.Finished(ctx, "alice", games.HistoryCursor{}, 0); err != nil || len(list) != 0 {
		t.Fatalf("limit 0: %v, %v", rooms(list), err)
	}
}

// testFinishedPaging: a user's finished games come newest first, ties
// broken by room id (descending), and a cursor pages through them.
func testFinishedPaging(t *testing.T, s games.Store) {
	finish(t, s, "g1", "u", "p1", 1000)
	finish(t, s, "g2", "p2", "u", 3000)
	finish(t, s, "g3", "u", "p3", 2000)
	finish(t, s, "g4", "u", "p4", 3000) // same end as g2: g4 first
	finish(t, s, "g5", "p5", "x", 4000) // not u's
	want := []string{"g4", "g2", "g3", "g1"}
	all, err := s.Finished(ctx, "u", games.HistoryCursor{}, 10)
	if err != nil || !slices.Equal(rooms(all), want) {
		t.Fatalf("history = %v, %v; want %v", rooms(all), err, want)
	}
	var pages [][]string
	var cur games.HistoryCursor
	for range 10 {
		page, err := s.Finished(ctx, "u", cur, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		pages = append(pages, rooms(page))
		cur = games.CursorOf(page[len(page)-1])
	}
	if want := [][]string{{"g4", "g2", "g3"}, {"g1"}}; !slices.EqualFunc(pages, want, slices.Equal) {
		t.Fatalf("pages of 3: %v, want %v", pages, want)
	}
	// A cursor between two games of the same end.
	page, _ := s.Finished(ctx, "u", games.HistoryCursor{Ended: 3000, Room: "g3"}, 10)
	if got := rooms(page); !slices.Equal(got, []string{"g2", "g3", "g1"}) {
		t.Fatalf("page after (3000, g3): %v", got)
	}
}

// testFinishedAgain: a user seated twice has the game once in their
// history, and a game recorded again for its match replaces the first
// record, in the history of the first record's players too.
func testFinishedAgain(t *testing.T, s games.Store) {
	mustCreate(t, s, info("m", "solo", "solo"))
	g := finished("m", "solo", "solo", 5000)
	mustAppend(t, s, games.Write{Match: "m", Entries: []games.Entry{entry(1)}, Finished: &g})
	finish(t, s, "older", "solo", "b", 6000)
	if list, err := s.Finished(ctx, "solo", games.HistoryCursor{}, 10); err != nil || !slices.Equal(rooms(list), []string{"older", "m"}) {
		t.Fatalf("solo's history: %v, %v", rooms(list), err)
	}
	again := finished("m", "c", "solo", 9000)
	mustAppend(t, s, games.Write{Match: "m", Finished: &again})
	list, err := s.Finished(ctx, "solo", games.HistoryCursor{}, 10)
	if err != nil || !slices.Equal(rooms(list), []string{"m", "older"}) || list[0].Players[0] != "c" || !list[0].Ended.Equal(again.Ended) {
		t.Fatalf("solo's history after the second record: %v, %v", rooms(list), err)
	}
	if list, err := s.Finished(ctx, "c", games.HistoryCursor{}, 10); err != nil || !slices.Equal(rooms(list), []string{"m"}) {
		t.Fatalf("c's history: %v, %v", rooms(list), err)
	}
	// Recorded once more without solo: gone from solo's history.
	third := finished("m", "c", "d", 9500)
	mustAppend(t, s, games.Write{Match: "m", Finished: &third})
	if list, err := s.Finished(ctx, "solo", games.HistoryCursor{}, 10); err != nil || !slices.Equal(rooms(list), []string{"older"}) {
		t.Fatalf("solo's history after a record without solo: %v, %v", rooms(list), err)
	}
	for _, u := range []string{"c", "d"} {
		if list, err := s.Finished(ctx, u, games.HistoryCursor{}, 10); err != nil || len(list) != 1 || !list[0].Ended.Equal(third.Ended) {
			t.Fatalf("%s's history: %v, %v", u, rooms(list), err)
		}
	}
	if err := s.Append(ctx, games.Write{Match: "nope", Finished: &third}); !errors.Is(err, games.ErrNotFound) {
		t.Fatalf("a finished game of an unknown match: %v, want ErrNotFound", err)
	}
}

// testRacingWriters: two writers appending to one match with the same
// seqs (an old owner and a new one) never both succeed for one seq, and
// the log has no gap and no duplicate; a bystander match is unaffected.
func testRacingWriters(t *testing.T, s games.Store) {
	mustCreate(t, s, info("m1", "a", "b"))
	mustCreate(t, s, info("by", "c", "d"))
	const n = 30
	wins := make([][]uint64, 2)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := uint64(1); seq <= n; seq++ {
				err := s.Append(ctx, games.Write{Match: "m1", Entries: []games.Entry{entry(seq)}})
				switch {
				case err == nil:
					wins[w] = append(wins[w], seq)
				case !errors.Is(err, games.ErrSeqConflict):
					t.Errorf("writer %d seq %d: %v", w, seq, err)
					return
				}
			}
		}()
	}
	for seq := uint64(1); seq <= 5; seq++ {
		mustAppend(t, s, games.Write{Match: "by", Entries: []games.Entry{entry(seq)}})
	}
	wg.Wait()
	won := append(slices.Clone(wins[0]), wins[1]...)
	slices.Sort(won)
	_, log, err := s.Load(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	want := make([]uint64, n)
	for i := range want {
		want[i] = uint64(i + 1)
	}
	if !slices.Equal(won, want) || !slices.Equal(seqs(log), want) {
		t.Fatalf("wins %v, log %v; want each of 1..%d once", won, seqs(log), n)
	}
	if _, log, _ := s.Load(ctx, "by"); !slices.Equal(seqs(log), []uint64{1, 2, 3, 4, 5}) {
		t.Fatalf("bystander log = %v", seqs(log))
	}
}
