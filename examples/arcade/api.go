package main

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
)

// ---- The host API: pending challenges and finished games ----

const (
	// maxFinishedGames bounds the finished chess games kept for download;
	// the oldest go first.
	maxFinishedGames = 500
	// pgnWait is how long a PGN download waits for a match that is still
	// running to be recorded: a client sees game_over a moment before the
	// finished game is handed to the host.
	pgnWait = 3 * time.Second
)

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
