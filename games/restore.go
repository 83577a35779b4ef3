package games

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
)

// Challenges across restarts. A challenge is stored as a match record
// with an empty log (Store.Waiting), and nothing runs for it after a
// restart until somebody joins its room. So a host with a Store calls
// RestoreChallenges once at start: the module counts each stored
// challenge in the Ledger again, tells OnChallenge of it again (with
// Restored set, so the host rebuilds its lists without telling the
// players twice), and arms its start timeout, on Config.Clock, for the
// deadline it had. At that deadline the module ends it as the match room
// would (game_over, reason aborted, appended to its log) and tells the
// players and OnChallenge that it expired. A room created for one of
// them in the meantime (its opponent accepting, say) takes it over: the
// counts, and the same deadline.

// RestoreLimit bounds the challenges one RestoreChallenges call takes
// from the store, oldest first; the rest wait for the next start, or for
// someone to join them.
const RestoreLimit = 10_000

// restoredChallenges holds the challenges RestoreChallenges restored and
// no room has taken over yet.
type restoredChallenges struct {
	mu    sync.Mutex
	items map[string]*restoredChallenge // by match id
}

// restoredChallenge is one of them.
type restoredChallenge struct {
	info     MatchInfo
	arranged bool         // the server arranged it (arrangedRecord): nobody is told
	timer    room.Stopper // nil until armed, or if it never expires
}

func newRestoredChallenges() *restoredChallenges {
	return &restoredChallenges{items: make(map[string]*restoredChallenge)}
}

// add records info, arranged or not, unless it is recorded already.
func (rc *restoredChallenges) add(info MatchInfo, arranged bool) bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if _, ok := rc.items[info.ID]; ok {
		return false
	}
	rc.items[info.ID] = &restoredChallenge{info: info, arranged: arranged}
	return true
}

// arm sets the expiry timer of id; it stops t if id was taken meanwhile.
func (rc *restoredChallenges) arm(id string, t room.Stopper) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if c := rc.items[id]; c != nil {
		c.timer = t
		return
	}
	t.Stop()
}

// take forgets id's challenge and stops its timer: the caller (its room,
// or its expiry) now owns it. It returns nil if id is not recorded.
func (rc *restoredChallenges) take(id string) *restoredChallenge {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	c := rc.items[id]
	if c == nil {
		return nil
	}
	delete(rc.items, id)
	if c.timer != nil {
		c.timer.Stop()
	}
	return c
}

// RestoreChallenges takes up the challenges stored in Config.Store whose
// players have not all joined (Store.Waiting, at most RestoreLimit): each
// is counted again in the Ledger as its creator's open challenge, given
// to OnChallenge as ChallengeOffered with Restored set and ExpiresMS its
// original deadline, and expires at that deadline (at once if it is
// past), as described above. A match the server arranged (a pairing or a
// rematch one player joined, known by its signed nonce: Config.Secret) is
// counted and expires the same way, but nobody is told of it, then or at
// its expiry, as its room would not tell. Call it once, after registering the module
// with the engine and before serving; a match whose room is running
// (Config.Rooms) is left to its room. It returns how many challenges it
// took up; with no Store it does nothing.
func (m *Module) RestoreChallenges(ctx context.Context) (int, error) {
	st := m.cfg.Store
	if st == nil {
		return 0, nil
	}
	ctx, cancel := context.WithTimeout(ctx, StoreTimeout)
	list, err := st.Waiting(ctx, m.kind, 0, RestoreLimit)
	cancel()
	if err != nil {
		return 0, fmt.Errorf("games: restore challenges of %s: %w", m.kind, err)
	}
	now := m.cfg.Clock.Now()
	n := 0
	var overdue []string
	for _, info := range list {
		if len(info.Players) != m.seats || !slices.Contains(info.Players, info.Creator) {
			continue
		}
		if m.cfg.Rooms != nil {
			if _, running := m.cfg.Rooms.Room(info.ID); running {
				continue
			}
		}
		arranged := m.arrangedRecord(info)
		if !m.restored.add(info, arranged) {
			continue
		}
		m.cfg.Ledger.restoreChallenge(info.Creator)
		n++
		deadline := m.challengeDeadline(info)
		if !arranged {
			m.tellRestored(ctx, info, ChallengeOffered, deadline)
		}
		switch {
		case deadline.IsZero():
		case !deadline.After(now):
			overdue = append(overdue, info.ID)
		default:
			id := info.ID
			m.restored.arm(id, m.cfg.Clock.AfterFunc(deadline.Sub(now), func() { m.expireRestored(id) }))
		}
	}
	for _, id := range overdue {
		m.expireRestored(id)
	}
	return n, nil
}

// challengeDeadline is when the stored challenge info expires: its
// creation plus Config.StartTimeout; zero if it never does.
func (m *Module) challengeDeadline(info MatchInfo) time.Time {
	if d := m.cfg.StartTimeout; d > 0 {
		return time.UnixMilli(info.Created).Add(d)
	}
	return time.Time{}
}

// expireRestored ends the restored challenge id, unless a room took it
// over: its log gets game_over (aborted) and the players and the host
// are told it expired. If the store refuses the write (a room wrote
// first: ErrSeqConflict) or fails, nobody is told: the match stays as the
// store has it, and a failed one is taken up again at the next start.
func (m *Module) expireRestored(id string) {
	c := m.restored.take(id)
	if c == nil {
		return
	}
	m.cfg.Ledger.leaveMatch(c.info.Creator, true)
	deadline := m.challengeDeadline(c.info)
	raw, err := codec.MarshalData(GameOver{Winner: -1, Reason: ReasonAborted})
	if err != nil {
		return
	}
	ctx, cancel := storeCtx()
	defer cancel()
	e := Entry{Seq: 1, Event: EventGameOver, Data: raw, At: deadline.UnixMilli()}
	if err := m.cfg.Store.Append(ctx, Write{Match: id, Entries: []Entry{e}}); err != nil {
		return
	}
	if !c.arranged {
		m.tellRestored(ctx, c.info, ChallengeExpired, deadline)
	}
}

// tellRestored tells of a restored challenge: OnChallenge always, the
// players (Notifier) unless the state is ChallengeOffered, which they
// were told before the restart.
func (m *Module) tellRestored(ctx context.Context, info MatchInfo, state string, deadline time.Time) {
	n := ChallengeNotice{
		State:       state,
		Game:        m.game.Name(),
		Room:        info.ID,
		From:        info.Creator,
		Players:     slices.Clone(info.Players),
		Nonce:       info.Nonce,
		BaseMS:      info.TimeControl.Base.Milliseconds(),
		IncrementMS: info.TimeControl.Increment.Milliseconds(),
		Restored:    state == ChallengeOffered,
	}
	if state == ChallengeOffered && !deadline.IsZero() {
		n.ExpiresMS = deadline.UnixMilli()
	}
	if nt := m.cfg.Notifier; nt != nil && state != ChallengeOffered {
		for _, u := range n.Players {
			_ = nt.Notify(u, EventChallenge, n)
		}
	}
	if hook := m.cfg.OnChallenge; hook != nil {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), FinishedHookTimeout)
		defer cancel()
		hook(hctx, n)
	}
}
