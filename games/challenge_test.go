package games_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/client/userchannel"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/gamestest"
	"github.com/parlorhq/parlor/games/tictactoe"
	"github.com/parlorhq/parlor/internal/testserver"
	"github.com/parlorhq/parlor/room"
)

// lateNotifier is the engine, once the test server has started it.
type lateNotifier struct{ e *engine.Engine }

func (n *lateNotifier) Notify(user, event string, data any) error {
	return n.e.Notify(user, event, data)
}

// hookLog records what Config.OnChallenge receives.
type hookLog struct {
	mu   sync.Mutex
	list []games.ChallengeNotice
	seen chan struct{}
}

func newHookLog() *hookLog { return &hookLog{seen: make(chan struct{}, 64)} }

func (l *hookLog) hook(_ context.Context, n games.ChallengeNotice) {
	l.mu.Lock()
	l.list = append(l.list, n)
	l.mu.Unlock()
	l.seen <- struct{}{}
}

// states waits for n notices and returns their states.
func (l *hookLog) states(t *testing.T, n int) []string {
	t.Helper()
	for range n {
		select {
		case <-l.seen:
		case <-time.After(gamestest.Timeout):
			t.Fatalf("hook: waited for %d notices", n)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, n := range l.list {
		out = append(out, n.State)
	}
	return out
}

// perMatch waits for n notices and returns their states by nonce, in
// the order each match gave them: the hook's order is kept per match,
// not across matches.
func (l *hookLog) perMatch(t *testing.T, n int) map[string][]string {
	t.Helper()
	l.states(t, n)
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string][]string)
	for _, c := range l.list {
		out[c.Nonce] = append(out[c.Nonce], c.State)
	}
	return out
}

// startNotifying serves tic-tac-toe with notices on the user channel.
func startNotifying(t *testing.T, cfg games.Config) *testserver.Server {
	n := &lateNotifier{}
	cfg.Notifier = n
	s := testserver.Start(t, engine.Config{}, games.NewModule(tictactoe.Game{}, cfg))
	n.e = s.Engine
	return s
}

// channel connects user and joins their user channel.
func channel(t *testing.T, s *testserver.Server, user string) *userchannel.Channel {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), gamestest.Timeout)
	defer cancel()
	ch, err := userchannel.Join(ctx, s.Dial(user))
	if err != nil {
		t.Fatalf("%s joins the user channel: %v", user, err)
	}
	return ch
}

// nextNotice waits for the next event called name on ch and decodes it.
func nextNotice(t *testing.T, ch *userchannel.Channel, name string, v any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), gamestest.Timeout)
	defer cancel()
	for {
		u, err := ch.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v", name, err)
		}
		if u.Event.Name == name {
			if err := u.Event.Decode(v); err != nil {
				t.Fatalf("decode %s: %v", name, err)
			}
			return
		}
	}
}

// noNotice fails if ch has an event waiting.
func noNotice(t *testing.T, ch *userchannel.Channel) {
	t.Helper()
	select {
	case ev := <-ch.Room.Events():
		t.Fatalf("unexpected notice %s %s", ev.Name, ev.Data)
	default:
	}
}

// TestChallengeNotices follows challenges through the user channel and the
// host hook: offered, accepted, declined, cancelled and expired.
func TestChallengeNotices(t *testing.T) {
	hl := newHookLog()
	s := startNotifying(t, games.Config{OnChallenge: hl.hook, TimeControl: games.TimeControl{Base: 5 * time.Minute, Increment: 3 * time.Second}})
	aliceCh, bobCh := channel(t, s, "alice"), channel(t, s, "bob")

	// Offered, then accepted.
	alice := gamestest.Dial(t, s, tttKind, "alice")
	if err := alice.Join(games.JoinParams{Opponent: "bob", Nonce: "n1"}); err != nil {
		t.Fatal(err)
	}
	var n games.ChallengeNotice
	nextNotice(t, bobCh, games.EventChallenge, &n)
	if n.State != games.ChallengeOffered || n.From != "alice" || n.Nonce != "n1" || n.Room != alice.Room ||
		n.Game != "tictactoe" || n.BaseMS != 300000 || n.IncrementMS != 3000 || n.ExpiresMS <= time.Now().UnixMilli() {
		t.Fatalf("offered: %+v", n)
	}
	bob := gamestest.Dial(t, s, tttKind, "bob")
	if err := bob.Join(games.JoinParams{Opponent: "alice", Nonce: "n1"}); err != nil {
		t.Fatal(err)
	}
	nextNotice(t, aliceCh, games.EventChallenge, &n)
	if n.State != games.ChallengeAccepted || n.Room != alice.Room {
		t.Fatalf("accepted: %+v", n)
	}

	// Declined: the decline's reply is the final snapshot.
	if err := alice.Join(games.JoinParams{Opponent: "bob", Nonce: "n2"}); err != nil {
		t.Fatal(err)
	}
	nextNotice(t, bobCh, games.EventChallenge, &n)
	decliner := gamestest.Dial(t, s, tttKind, "bob")
	if err := decliner.Join(games.JoinParams{Opponent: "alice", Nonce: "n2", Decline: true}); err != nil {
		t.Fatal(err)
	}
	if st := decliner.Joined; st.Status != games.StatusOver || st.Result == nil || st.Result.Reason != games.ReasonDeclined {
		t.Fatalf("decline snapshot: %+v", st)
	}
	nextNotice(t, aliceCh, games.EventChallenge, &n)
	if n.State != games.ChallengeDeclined || n.By != "bob" || n.Nonce != "n2" {
		t.Fatalf("declined: %+v", n)
	}
	// Declining again, or what was never offered, changes nothing.
	if err := decliner.Join(games.JoinParams{Opponent: "alice", Nonce: "n2", Decline: true}); gamestest.Code(err) != codec.CodeConflict {
		t.Fatalf("second decline: %v, want conflict", err)
	}
	if err := decliner.Join(games.JoinParams{Opponent: "alice", Nonce: "never", Decline: true}); gamestest.Code(err) != codec.CodeNotFound {
		t.Fatalf("decline of nothing: %v, want not_found", err)
	}

	// Cancelled by the challenger.
	if err := alice.Join(games.JoinParams{Opponent: "bob", Nonce: "n3"}); err != nil {
		t.Fatal(err)
	}
	nextNotice(t, bobCh, games.EventChallenge, &n)
	if err := alice.Do(games.EventCancel, nil); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	nextNotice(t, bobCh, games.EventChallenge, &n)
	if n.State != games.ChallengeCancelled || n.By != "alice" || n.Nonce != "n3" {
		t.Fatalf("cancelled: %+v", n)
	}
	// A started match cannot be cancelled.
	if err := bob.Do(games.EventCancel, nil); gamestest.Code(err) != codec.CodeConflict {
		t.Fatalf("cancel of a started match: %v, want conflict", err)
	}
	noNotice(t, aliceCh)

	// The host saw the same, in order per match (matches' hooks run
	// apart, so n2's "declined" may come after n3's "offered").
	want := map[string][]string{"n1": {"offered", "accepted"}, "n2": {"offered", "declined"}, "n3": {"offered", "cancelled"}}
	got := hl.perMatch(t, 6)
	if len(got) != len(want) {
		t.Fatalf("hook states %v, want %v", got, want)
	}
	for nonce, w := range want {
		if !equal(got[nonce], w) {
			t.Fatalf("hook states of %s: %v, want %v (all: %v)", nonce, got[nonce], w, got)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestChallengeExpires ends a challenge nobody answers on the games
// clock: both players are told it expired.
func TestChallengeExpires(t *testing.T) {
	s := startNotifying(t, games.Config{StartTimeout: 50 * time.Millisecond})
	aliceCh, bobCh := channel(t, s, "alice"), channel(t, s, "bob")
	alice := gamestest.Dial(t, s, tttKind, "alice")
	if err := alice.Join(games.JoinParams{Opponent: "bob", Nonce: "x"}); err != nil {
		t.Fatal(err)
	}
	var n games.ChallengeNotice
	nextNotice(t, bobCh, games.EventChallenge, &n)
	for _, ch := range []*userchannel.Channel{aliceCh, bobCh} {
		nextNotice(t, ch, games.EventChallenge, &n)
		if n.State != games.ChallengeExpired || n.Nonce != "x" {
			t.Fatalf("expired: %+v", n)
		}
	}
	var over games.GameOver
	alice.Expect(games.EventGameOver, &over)
	if over.Reason != games.ReasonAborted {
		t.Fatalf("game over %+v, want aborted", over)
	}
}

// TestYourTurnWhenAway tells a player whose turn it is only while they
// have no connection in the match room.
func TestYourTurnWhenAway(t *testing.T) {
	s := startNotifying(t, games.Config{})
	bobCh := channel(t, s, "bob")
	alice, bob := gamestest.Pair(t, s, tttKind, "alice", "bob")
	var n games.ChallengeNotice
	nextNotice(t, bobCh, games.EventChallenge, &n) // offered
	alice.MustMove(map[string]int{"cell": 0})
	bob.MustMove(map[string]int{"cell": 4})
	noNotice(t, bobCh) // bob was watching

	ctx, cancel := context.WithTimeout(context.Background(), gamestest.Timeout)
	defer cancel()
	if err := bob.Client.Leave(ctx, bob.Room); err != nil {
		t.Fatal(err)
	}
	alice.MustMove(map[string]int{"cell": 1})
	var yt games.YourTurn
	nextNotice(t, bobCh, games.EventYourTurn, &yt)
	if yt.Room != alice.Room || yt.Ply != 3 || yt.Game != "tictactoe" {
		t.Fatalf("your turn: %+v", yt)
	}
}

// policy allows the pairs listed, both ways.
func policy(pairs ...[2]string) func(context.Context, string, string) error {
	return func(_ context.Context, from, to string) error {
		for _, p := range pairs {
			if p == [2]string{from, to} || p == [2]string{to, from} {
				return nil
			}
		}
		return errors.New("not connected")
	}
}

// TestStrangerChallengeRefused: CanChallenge refuses a stranger's
// challenge with forbidden; nothing is created, counted or notified, and
// both users go on as before.
func TestStrangerChallengeRefused(t *testing.T) {
	s := startNotifying(t, games.Config{
		MaxChallenges: 1,
		CanChallenge:  policy([2]string{"alice", "bob"}, [2]string{"mallory", "carol"}),
	})
	bobCh := channel(t, s, "bob")
	rooms := s.Engine.Stats().Rooms
	mallory := gamestest.Dial(t, s, tttKind, "mallory")
	err := mallory.Join(games.JoinParams{Opponent: "bob", Nonce: "m"})
	if gamestest.Code(err) != codec.CodeForbidden || err.Error() != games.ErrNotAllowed.Error() {
		t.Fatalf("stranger's challenge: %v, want %v", err, games.ErrNotAllowed)
	}
	if n := roomsSettle(s.Engine, rooms); n != rooms {
		t.Fatalf("a refused challenge left %d rooms, want %d", n, rooms)
	}
	// Seats given the other way round are refused too.
	if err := mallory.Join(games.JoinParams{Seats: []string{"bob", "mallory"}, Nonce: "m2"}); gamestest.Code(err) != codec.CodeForbidden {
		t.Fatalf("stranger's seated challenge: %v, want forbidden", err)
	}
	// Mallory's one allowed challenge was not used up.
	if err := mallory.Join(games.JoinParams{Opponent: "carol", Nonce: "c"}); err != nil {
		t.Fatalf("mallory's allowed challenge: %v", err)
	}
	// Bob heard nothing from mallory, and takes alice's challenge as usual.
	alice := gamestest.Dial(t, s, tttKind, "alice")
	if err := alice.Join(games.JoinParams{Opponent: "bob", Nonce: "a"}); err != nil {
		t.Fatalf("bystander alice challenges bob: %v", err)
	}
	var n games.ChallengeNotice
	nextNotice(t, bobCh, games.EventChallenge, &n)
	if n.From != "alice" || n.State != games.ChallengeOffered {
		t.Fatalf("bob's first notice: %+v, want alice's offer", n)
	}
	bob := gamestest.Dial(t, s, tttKind, "bob")
	if err := bob.Join(games.JoinParams{Opponent: "alice", Nonce: "a"}); err != nil || bob.Joined.Status != games.StatusPlaying {
		t.Fatalf("bob accepts: %v %+v", err, bob.Joined)
	}
}

// TestQuickMatchSeatsAsArranged: a pairing is created with the seats the
// queue gave its players. A first join that lists them in other seats (to
// take the first move, say) is refused with conflict, and does not use
// the pairing up: its players then join it as paired. With a secret the
// signed nonce says so; without one, the module's memory does.
func TestQuickMatchSeatsAsArranged(t *testing.T) {
	for _, secret := range [][]byte{nil, []byte("parlor test secret")} {
		hl := newHookLog()
		s := testserver.Start(t, engine.Config{}, games.NewModule(tictactoe.Game{}, games.Config{
			QuickMatch: true, Secret: secret, OnChallenge: hl.hook,
			MaxMatches: 1, // a count left by the refused join would refuse bob's next
		}))
		alice := gamestest.Dial(t, s, tttKind, "alice")
		if err := alice.Join(games.JoinParams{Quick: true}); err != nil {
			t.Fatal(err)
		}
		bob := gamestest.Dial(t, s, tttKind, "bob")
		if err := bob.Join(games.JoinParams{Quick: true}); err != nil {
			t.Fatal(err)
		}
		var ma, mb games.Matched
		alice.Expect(games.EventMatched, &ma)
		bob.Expect(games.EventMatched, &mb)
		if !slices.Equal(mb.Seats, []string{"alice", "bob"}) || mb.Seat != 1 {
			t.Fatalf("pairing: %+v", mb)
		}
		err := bob.Join(games.JoinParams{Seats: []string{"bob", "alice"}, Nonce: mb.Nonce})
		if gamestest.Code(err) != codec.CodeConflict || err.Error() != games.ErrSeatedAsArranged.Error() {
			t.Fatalf("secret %q: bob takes the first seat: %v, want %v", secret, err, games.ErrSeatedAsArranged)
		}
		if err := bob.Join(games.JoinParams{Seats: mb.Seats, Nonce: mb.Nonce}); err != nil {
			t.Fatalf("secret %q: bob joins as paired: %v", secret, err)
		}
		if err := alice.Join(games.JoinParams{Seats: ma.Seats, Nonce: ma.Nonce}); err != nil || alice.Joined.Status != games.StatusPlaying {
			t.Fatalf("secret %q: alice joins as paired: %v, %+v", secret, err, alice.Joined)
		}
		// Notices go out from a goroutine of the match: give one time.
		select {
		case <-hl.seen:
			hl.mu.Lock()
			t.Fatalf("secret %q: the pairing was told as a challenge: %+v", secret, hl.list)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// TestQuickMatchPayloadJoins: the payload of a matched event joins the
// match as it is (docs/games.md: "join the match with it as the
// parameters"), seat included; a seat that is not the joiner's is refused.
func TestQuickMatchPayloadJoins(t *testing.T) {
	s := testserver.Start(t, engine.Config{}, games.NewModule(tictactoe.Game{}, games.Config{QuickMatch: true}))
	alice := gamestest.Dial(t, s, tttKind, "alice")
	bob := gamestest.Dial(t, s, tttKind, "bob")
	for _, p := range []*gamestest.Player{alice, bob} {
		if err := p.Join(games.JoinParams{Quick: true}); err != nil {
			t.Fatal(err)
		}
	}
	var ma, mb games.Matched
	evA, evB := alice.Expect(games.EventMatched, &ma), bob.Expect(games.EventMatched, &mb)
	other := 1 - mb.Seat
	if err := bob.Join(games.JoinParams{Seats: mb.Seats, Nonce: mb.Nonce, Seat: &other}); gamestest.Code(err) != codec.CodeBadRequest {
		t.Fatalf("bob names alice's seat: %v, want bad_request", err)
	}
	for _, j := range []struct {
		p  *gamestest.Player
		ev client.Event
	}{{bob, evB}, {alice, evA}} {
		ctx, cancel := context.WithTimeout(context.Background(), gamestest.Timeout)
		r, err := j.p.Client.Join(ctx, tttKind, msgpack.RawMessage(j.ev.Data))
		cancel()
		if err != nil {
			t.Fatalf("%s joins with the matched payload as it is: %v", j.p.Client.UserID(), err)
		}
		if err := r.Decode(&j.p.Joined); err != nil {
			t.Fatal(err)
		}
	}
	if alice.Joined.Status != games.StatusPlaying {
		t.Fatalf("after both joined: status %q, want playing", alice.Joined.Status)
	}
}

// TestQuickMatchPairsAllowedOnly: the queue pairs only players the policy
// allows; a refused pair keeps waiting, and the match it pairs is not
// checked or announced as a challenge.
func TestQuickMatchPairsAllowedOnly(t *testing.T) {
	hl := newHookLog()
	n := &lateNotifier{}
	s := testserver.Start(t, engine.Config{}, games.NewModule(tictactoe.Game{}, games.Config{
		QuickMatch:   true,
		Notifier:     n,
		OnChallenge:  hl.hook,
		CanChallenge: policy([2]string{"bob", "carol"}),
	}))
	n.e = s.Engine
	bob := gamestest.Dial(t, s, tttKind, "bob")
	if err := bob.Join(games.JoinParams{Quick: true}); err != nil {
		t.Fatal(err)
	}
	mallory := gamestest.Dial(t, s, tttKind, "mallory")
	if err := mallory.Join(games.JoinParams{Quick: true}); err != nil {
		t.Fatal(err)
	}
	carol := gamestest.Dial(t, s, tttKind, "carol")
	if err := carol.Join(games.JoinParams{Quick: true}); err != nil {
		t.Fatal(err)
	}
	var mb, mc games.Matched
	bob.Expect(games.EventMatched, &mb)
	carol.Expect(games.EventMatched, &mc)
	if mb.Opponent != "carol" || mc.Opponent != "bob" || mb.Nonce != mc.Nonce {
		t.Fatalf("pairing: bob %+v, carol %+v", mb, mc)
	}
	for _, p := range []*gamestest.Player{bob, carol} {
		m := mb
		if p == carol {
			m = mc
		}
		if err := p.Join(games.JoinParams{Seats: m.Seats, Nonce: m.Nonce}); err != nil {
			t.Fatalf("%s joins the paired match: %v", p.User, err)
		}
	}
	if carol.Joined.Status != games.StatusPlaying {
		t.Fatalf("paired match: %+v", carol.Joined)
	}
	// Mallory still waits: nobody she may play has come.
	select {
	case ev := <-mallory.Client.Events():
		if ev.Name == games.EventMatched {
			t.Fatalf("mallory was paired: %s", ev.Data)
		}
	case <-time.After(50 * time.Millisecond):
	}
	hl.mu.Lock()
	defer hl.mu.Unlock()
	if len(hl.list) != 0 {
		t.Fatalf("a pairing was announced as a challenge: %+v", hl.list)
	}
}

// gatedNotifier records notices, and holds the first of one match's until
// released.
type gatedNotifier struct {
	e       *engine.Engine
	hold    string // the user whose first notice is held
	held    chan struct{}
	release chan struct{}
	once    sync.Once
	mu      sync.Mutex
	got     []string // "user event"
}

func (n *gatedNotifier) Notify(user, event string, data any) error {
	if user == n.hold {
		n.once.Do(func() {
			close(n.held)
			<-n.release
		})
	}
	n.mu.Lock()
	n.got = append(n.got, user+" "+event)
	n.mu.Unlock()
	return nil
}

func (n *gatedNotifier) sent() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.got...)
}

// TestNoticeQueueBound: while a match's notifier is stuck, at most
// NoticeQueue of its notices wait and the rest are dropped; another
// match's notices are not held up.
func TestNoticeQueueBound(t *testing.T) {
	n := &gatedNotifier{hold: "bob", held: make(chan struct{}), release: make(chan struct{})}
	hook := func(_ context.Context, c games.ChallengeNotice) {
		if c.From == "alice" {
			_ = n.Notify("hook", c.State, nil)
		}
	}
	s := testserver.Start(t, engine.Config{}, games.NewModule(tictactoe.Game{}, games.Config{Notifier: n, OnChallenge: hook, NoticeQueue: 1}))
	n.e = s.Engine
	released := false
	defer func() {
		if !released {
			close(n.release)
		}
	}()

	// alice challenges bob: the offer to bob is stuck in the notifier.
	alice := gamestest.Dial(t, s, tttKind, "alice")
	if err := alice.Join(games.JoinParams{Opponent: "bob", Nonce: "q"}); err != nil {
		t.Fatal(err)
	}
	<-n.held
	// bob accepts (one notice waits: "accepted" to alice), the first to
	// move moves and leaves, the other moves: the "your turn" for the
	// first finds the queue full and is dropped.
	bob := gamestest.Dial(t, s, tttKind, "bob")
	if err := bob.Join(games.JoinParams{Opponent: "alice", Nonce: "q"}); err != nil {
		t.Fatal(err)
	}
	first, second := alice, bob
	if bob.Joined.Turn == bob.Joined.Seat {
		first, second = bob, alice
	}
	first.MustMove(map[string]int{"cell": 0})
	ctx, cancel := context.WithTimeout(context.Background(), gamestest.Timeout)
	defer cancel()
	if err := first.Client.Leave(ctx, first.Room); err != nil {
		t.Fatal(err)
	}
	second.MustMove(map[string]int{"cell": 4})

	// A bystander match is told at once.
	carol := gamestest.Dial(t, s, tttKind, "carol")
	if err := carol.Join(games.JoinParams{Opponent: "dave", Nonce: "b"}); err != nil {
		t.Fatal(err)
	}
	waitSent(t, n, "dave games.challenge")

	// Released, the match delivers what waited; the resignation's notice
	// comes last, after anything that was queued before it. The queue
	// holds one notice, so the resignation waits until the queued one is
	// out, or it would be dropped as the your-turn was.
	close(n.release)
	released = true
	waitSent(t, n, "hook accepted")
	if err := second.Do(games.EventResign, nil); err != nil {
		t.Fatal(err)
	}
	waitSent(t, n, "hook finished")
	var mine []string
	for _, g := range n.sent() {
		if g != "dave games.challenge" {
			mine = append(mine, g)
		}
	}
	want := []string{"bob games.challenge", "hook offered", "alice games.challenge", "hook accepted", "hook finished"}
	if !equal(mine, want) {
		t.Fatalf("delivered %v, want %v (the your-turn notice dropped)", mine, want)
	}
}

// waitSent waits until n has sent s.
func waitSent(t *testing.T, n *gatedNotifier, s string) {
	t.Helper()
	deadline := time.Now().Add(gamestest.Timeout)
	for !contains(n.sent(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("%q not sent: %v", s, n.sent())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestChallengeExpiresInAnEmptyRoom: a challenge whose challenger left
// its room still expires, and is told, on the games clock: the room is
// kept for the start timeout, longer than it would keep an empty room.
func TestChallengeExpiresInAnEmptyRoom(t *testing.T) {
	n := &lateNotifier{}
	s := testserver.Start(t, engine.Config{Room: room.Config{IdleTTL: 10 * time.Millisecond}},
		games.NewModule(tictactoe.Game{}, games.Config{Notifier: n, Grace: 10 * time.Millisecond, StartTimeout: 1500 * time.Millisecond}))
	n.e = s.Engine
	bobCh := channel(t, s, "bob")
	alice := gamestest.Dial(t, s, tttKind, "alice")
	if err := alice.Join(games.JoinParams{Opponent: "bob", Nonce: "e"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), gamestest.Timeout)
	defer cancel()
	if err := alice.Client.Leave(ctx, alice.Room); err != nil {
		t.Fatal(err)
	}
	var c games.ChallengeNotice
	nextNotice(t, bobCh, games.EventChallenge, &c)
	if c.State != games.ChallengeOffered {
		t.Fatalf("first notice %+v", c)
	}
	nextNotice(t, bobCh, games.EventChallenge, &c)
	if c.State != games.ChallengeExpired || c.Nonce != "e" {
		t.Fatalf("second notice %+v, want expired", c)
	}
}
