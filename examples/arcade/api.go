package main

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// ---- The host API: challenges and finished games ----

const (
	// challengeTTL is how long a challenge is offered. It matches the
	// games toolkit's default start timeout: after it, the challenger's
	// match has been aborted anyway.
	challengeTTL = 2 * time.Minute
	// maxChallengesPerUser bounds the pending challenges to one user; the
	// oldest go first.
	maxChallengesPerUser = 20
	// maxFinishedGames bounds the finished chess games kept for download;
	// the oldest go first.
	maxFinishedGames = 500
	// pgnWait is how long a PGN download waits for a match that is still
	// running to be recorded: a client sees game_over a moment before the
	// finished game is handed to the host.
	pgnWait = 3 * time.Second
)

// gameNames are the games a challenge may be for, by module name.
var gameNames = map[string]string{"tictactoe": "tic-tac-toe", "chess": "chess"}

// nonceRE is what a challenge nonce may look like.
var nonceRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// apiError writes a JSON error {error: {code, message}}.
func apiError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// api wraps a host API handler that the pages call: it needs a signed-in
// user (else 401) and the session's CSRF token in the X-CSRF-Token header
// (else 403, code csrf). Other sites cannot send the header, and a page
// rendered for another session (a cookie replaced in another tab) sends
// the wrong token, so its requests fail instead of acting for someone
// else.
func (a *Arcade) api(h func(w http.ResponseWriter, r *http.Request, me string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ss, err := a.sessionOf(r)
		if err != nil {
			apiError(w, http.StatusUnauthorized, "unauthorized", "sign in first")
			return
		}
		if !ss.validCSRF(r.Header.Get(csrfHeader)) {
			apiError(w, http.StatusForbidden, "csrf", "missing or wrong "+csrfHeader+": reload the page")
			return
		}
		h(w, r, ss.user)
	}
}

// download wraps a read-only handler that a plain link opens, so no CSRF
// header comes with it: it needs a signed-in user (else 401).
func (a *Arcade) download(h func(w http.ResponseWriter, r *http.Request, me string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ss, err := a.sessionOf(r)
		if err != nil {
			apiError(w, http.StatusUnauthorized, "unauthorized", "sign in first")
			return
		}
		h(w, r, ss.user)
	}
}

// challenge is a pending invitation to a match.
type challenge struct {
	Game     string `json:"game"`
	From     string `json:"from"`
	FromName string `json:"from_name"`
	Opponent string `json:"opponent"`
	Nonce    string `json:"nonce"`
	// URL is the game page that joins the match as the opponent.
	URL     string    `json:"url"`
	Created time.Time `json:"created"`
}

// challengeBook holds pending challenges in memory, by opponent.
type challengeBook struct {
	mu  sync.Mutex
	now func() time.Time
	by  map[string][]challenge // by opponent
}

func newChallengeBook() *challengeBook {
	return &challengeBook{now: time.Now, by: make(map[string][]challenge)}
}

// add records c, replacing one with the same sender, game and nonce.
func (b *challengeBook) add(c challenge) {
	b.mu.Lock()
	defer b.mu.Unlock()
	list := b.prune(c.Opponent)
	list = slices.DeleteFunc(list, func(o challenge) bool {
		return o.From == c.From && o.Game == c.Game && o.Nonce == c.Nonce
	})
	list = append(list, c)
	if len(list) > maxChallengesPerUser {
		list = list[len(list)-maxChallengesPerUser:]
	}
	b.by[c.Opponent] = list
}

// pending returns the challenges to user, oldest first.
func (b *challengeBook) pending(user string) []challenge {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.prune(user))
}

// remove drops the challenges to user from sender with nonce.
func (b *challengeBook) remove(user, from, nonce string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	list := slices.DeleteFunc(b.prune(user), func(c challenge) bool {
		return c.From == from && c.Nonce == nonce
	})
	if len(list) == 0 {
		delete(b.by, user)
	} else {
		b.by[user] = list
	}
}

// prune drops user's expired challenges and returns the rest. b.mu is held.
func (b *challengeBook) prune(user string) []challenge {
	cutoff := b.now().Add(-challengeTTL)
	list := slices.DeleteFunc(b.by[user], func(c challenge) bool { return c.Created.Before(cutoff) })
	if len(list) == 0 {
		delete(b.by, user)
		return nil
	}
	b.by[user] = list
	return list
}

// challengeRequest is the body of POST /api/challenges.
type challengeRequest struct {
	Game     string `json:"game"`
	Opponent string `json:"opponent"`
	Nonce    string `json:"nonce"`
}

// postChallenge handles POST /api/challenges {game, opponent, nonce}: the
// signed-in user challenges a connection. The challenger then joins the
// match with {opponent, nonce}; the opponent finds the challenge with GET.
func (a *Arcade) postChallenge(w http.ResponseWriter, r *http.Request, me string) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		apiError(w, http.StatusUnsupportedMediaType, "bad_request", "send JSON")
		return
	}
	var req challengeRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", "malformed JSON body")
		return
	}
	switch {
	case gameNames[req.Game] == "":
		apiError(w, http.StatusBadRequest, "bad_request", "game must be tictactoe or chess")
		return
	case !nonceRE.MatchString(req.Nonce):
		apiError(w, http.StatusBadRequest, "bad_request", "nonce must be 1 to 64 characters of A-Z a-z 0-9 _ -")
		return
	case req.Opponent == me:
		apiError(w, http.StatusBadRequest, "bad_request", "you cannot challenge yourself")
		return
	case !connected(me, req.Opponent):
		apiError(w, http.StatusForbidden, "forbidden", "you can only challenge your connections")
		return
	}
	c := challenge{
		Game:     req.Game,
		From:     me,
		FromName: displayName(me),
		Opponent: req.Opponent,
		Nonce:    req.Nonce,
		URL:      gameURL(req.Game, me, req.Nonce),
		Created:  a.challenges.now().UTC(),
	}
	a.challenges.add(c)
	a.log.Info("challenge", zap.String("user", me), zap.String("opponent", req.Opponent), zap.String("game", req.Game))
	writeJSON(w, http.StatusCreated, c)
}

// gameURL is the page that joins the match against opponent with nonce.
func gameURL(game, opponent, nonce string) string {
	return "/" + game + "?" + url.Values{"opponent": {opponent}, "nonce": {nonce}}.Encode()
}

// listChallenges handles GET /api/challenges: {challenges: [...]}, the
// pending challenges to the signed-in user, oldest first.
func (a *Arcade) listChallenges(w http.ResponseWriter, _ *http.Request, me string) {
	list := a.challenges.pending(me)
	if list == nil {
		list = []challenge{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"challenges": list})
}

// dismissChallenge handles DELETE /api/challenges?from=USER&nonce=N: the
// signed-in user accepted (or declined) a challenge; it is no longer
// offered.
func (a *Arcade) dismissChallenge(w http.ResponseWriter, r *http.Request, me string) {
	q := r.URL.Query()
	a.challenges.remove(me, q.Get("from"), q.Get("nonce"))
	w.WriteHeader(http.StatusNoContent)
}

// finishedGame is a finished chess match kept for PGN download.
type finishedGame struct {
	PGN     string
	Players []string
	Ended   time.Time
}

// finishedGames keeps the latest finished games in memory, by room id.
type finishedGames struct {
	mu    sync.Mutex
	max   int
	byID  map[string]finishedGame
	order []string
}

func newFinishedGames(max int) *finishedGames {
	return &finishedGames{max: max, byID: make(map[string]finishedGame)}
}

// add records a finished game, dropping the oldest beyond the limit.
func (f *finishedGames) add(room string, g finishedGame) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.byID[room]; !ok {
		f.order = append(f.order, room)
	}
	f.byID[room] = g
	for len(f.order) > f.max {
		delete(f.byID, f.order[0])
		f.order = f.order[1:]
	}
}

func (f *finishedGames) get(room string) (finishedGame, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.byID[room]
	return g, ok
}

// downloadPGN handles GET /api/games/{room}/pgn: the PGN of a finished
// chess match, as an attachment. A match still running gets a moment to
// be recorded.
func (a *Arcade) downloadPGN(w http.ResponseWriter, r *http.Request, _ string) {
	id := r.PathValue("room")
	g, ok := a.finished.get(id)
	if !ok {
		if rm, running := a.eng.Room(id); running && rm.Kind() == "games.chess" {
			deadline := time.NewTimer(pgnWait)
			defer deadline.Stop()
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
		wait:
			for !ok {
				select {
				case <-tick.C:
					g, ok = a.finished.get(id)
				case <-deadline.C:
					break wait
				case <-r.Context().Done():
					return
				}
			}
		}
	}
	if !ok {
		apiError(w, http.StatusNotFound, "not_found", "no finished game with this id")
		return
	}
	name := "game"
	if len(g.Players) == 2 {
		name = g.Players[0] + "-vs-" + g.Players[1]
	}
	name = fmt.Sprintf("parlor-chess-%s-%s.pgn", name, g.Ended.UTC().Format("20060102-1504"))
	w.Header().Set("Content-Type", "application/x-chess-pgn; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = strings.NewReader(g.PGN).WriteTo(w)
}
