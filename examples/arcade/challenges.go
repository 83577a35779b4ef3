package main

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sync"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/games"
	"go.uber.org/zap"
)

// Challenges live in the games modules: a challenger creates the match by
// joining it with {opponent, nonce}, the opponent accepts by joining it
// too, or declines with decline: true, and the match's start timeout
// expires it. The modules tell both players through their user channels
// (games.EventChallenge), and tell the arcade through OnChallenge
// (onChallenge), which keeps the pending list that pages load once and
// writes each step into the players' DM as a game note.

// maxChallengesShown bounds the pending challenges kept per user; past it
// the oldest are forgotten (they still expire in the games module).
const maxChallengesShown = 20

// challenge is a pending challenge to the signed-in user, as the pages
// get it from GET /api/challenges.
type challenge struct {
	Game     string `json:"game"`
	From     string `json:"from"`
	FromName string `json:"from_name"`
	Nonce    string `json:"nonce"`
	Room     string `json:"room"`
	// BaseMS and IncrementMS are the time control (zero if untimed).
	BaseMS      int64 `json:"base_ms"`
	IncrementMS int64 `json:"increment_ms"`
	// ExpiresMS is when the challenge expires, in Unix milliseconds.
	ExpiresMS int64 `json:"expires_ms"`
	// URL is the game page that accepts it.
	URL string `json:"url"`
}

// challengeBook holds the pending challenges by opponent, as the games
// modules report them.
type challengeBook struct {
	mu sync.Mutex
	by map[string][]challenge // by opponent, oldest first
}

func newChallengeBook() *challengeBook {
	return &challengeBook{by: make(map[string][]challenge)}
}

// offered records c for opponent.
func (b *challengeBook) offered(opponent string, c challenge) {
	b.mu.Lock()
	defer b.mu.Unlock()
	list := slices.DeleteFunc(b.by[opponent], func(o challenge) bool { return o.Room == c.Room })
	list = append(list, c)
	if len(list) > maxChallengesShown {
		list = list[len(list)-maxChallengesShown:]
	}
	b.by[opponent] = list
}

// answered forgets the challenge of room for opponent.
func (b *challengeBook) answered(opponent, room string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	list := slices.DeleteFunc(b.by[opponent], func(o challenge) bool { return o.Room == room })
	if len(list) == 0 {
		delete(b.by, opponent)
	} else {
		b.by[opponent] = list
	}
}

// pending returns the challenges to user, oldest first.
func (b *challengeBook) pending(user string) []challenge {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.by[user])
}

// canChallenge is the games modules' CanChallenge: only connections may
// challenge each other (or be paired by quick match).
func canChallenge(_ context.Context, from, to string) error {
	if !connected(from, to) {
		return errNotConnected
	}
	return nil
}

// onChallenge is the games modules' OnChallenge: it keeps the pending
// list and writes the challenge's step into the players' DM. After a
// restart the modules give it the stored challenges again (Restored),
// which go back into the pending list only.
func (a *Arcade) onChallenge(ctx context.Context, n games.ChallengeNotice) {
	for _, u := range n.Players {
		if u == n.From {
			continue
		}
		if n.State == games.ChallengeOffered {
			a.challenges.offered(u, challenge{
				Game: n.Game, From: n.From, FromName: displayName(n.From), Nonce: n.Nonce, Room: n.Room,
				BaseMS: n.BaseMS, IncrementMS: n.IncrementMS, ExpiresMS: n.ExpiresMS,
				URL: gameURL(n.Game, n.From, n.Nonce),
			})
		} else {
			a.challenges.answered(u, n.Room)
		}
	}
	if len(n.Players) != 2 || n.Restored {
		return // a restored challenge's offer is in the DM already
	}
	other := n.Players[0]
	if other == n.From {
		other = n.Players[1]
	}
	note := chat.GameNote{
		Ref: n.Room, Game: n.Game, State: n.State, From: n.From, Nonce: n.Nonce,
		BaseMS: n.BaseMS, IncrementMS: n.IncrementMS, By: n.By,
	}
	if n.Result != nil {
		note.Reason, note.Ply = n.Result.Reason, n.Ply
		if w := n.Result.Winner; w >= 0 && w < len(n.Players) {
			note.Winner = n.Players[w]
		}
	}
	if _, err := a.chat.AddGameNote(ctx, chat.DMRoomID(a.eng.Secret(), n.From, other), n.From, other, note); err != nil {
		a.log.Warn("game note", zap.String("room", n.Room), zap.String("state", n.State), zap.Error(err))
	}
}

// gameURL is the page that joins the match against opponent with nonce.
func gameURL(game, opponent, nonce string) string {
	return "/" + game + "?" + url.Values{"opponent": {opponent}, "nonce": {nonce}}.Encode()
}

// listChallenges handles GET /api/challenges: {challenges: [...]}, the
// pending challenges to the signed-in user, oldest first. Pages load it
// once; changes come on the user channel.
func (a *Arcade) listChallenges(w http.ResponseWriter, _ *http.Request, me string) {
	list := a.challenges.pending(me)
	if list == nil {
		list = []challenge{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"challenges": list})
}
