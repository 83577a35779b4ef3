package main

import (
	"bytes"
	"html/template"
	"net/http"

	"go.uber.org/zap"
)

// pageTemplate is one page: the shared layout plus the page's own blocks.
type pageTemplate struct{ t *template.Template }

// pageNames are the pages, each html/NAME.html with the layout.
var pageNames = []string{"login", "connections", "chat", "groups", "group", "tictactoe", "chess", "games", "replay"}

// parsePages parses every page with the layout.
func parsePages() (map[string]*pageTemplate, error) {
	out := make(map[string]*pageTemplate, len(pageNames))
	for _, name := range pageNames {
		t, err := template.ParseFS(htmlFS, "html/layout.html", "html/"+name+".html")
		if err != nil {
			return nil, err
		}
		out[name] = &pageTemplate{t: t}
	}
	return out, nil
}

// pageData is what page templates render.
type pageData struct {
	// Title is the page's title.
	Title string
	// Nav is the header link to mark as current.
	Nav string
	// Me is the signed-in user (zero on the sign-in page when signed out).
	Me user
	// CSRF is the session's CSRF token, for the sign-out form.
	CSRF string
	// Users are the demo users (sign-in page).
	Users []user
	// Connections are Me's connections.
	Connections []user
	// Target is the other user of a chat page.
	Target user
	// Group is the room id of a group page.
	Group string
	// Game is the game of a game page: "tictactoe" or "chess".
	Game string
	// Games are the rows of the "Your games" page.
	Games []gameRow
	// NextPage links to the next page of games, if any.
	NextPage string
	// Script is the page's module in /static/, if any.
	Script string
	// Data is handed to the page's script as JSON (#page-data): at least
	// me (the user the page is for), names and csrf.
	Data map[string]any
}

// render executes the page into a buffer, then writes it.
func (a *Arcade) render(w http.ResponseWriter, _ *http.Request, name string, d pageData) {
	var buf bytes.Buffer
	if err := a.pages[name].t.ExecuteTemplate(&buf, "layout", d); err != nil {
		a.log.Error("render page", zap.String("page", name), zap.Error(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = buf.WriteTo(w)
}

// page wraps a page handler: signed-out visitors go to /login.
func (a *Arcade) page(h func(w http.ResponseWriter, r *http.Request, s signedIn)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ss, err := a.sessionOf(r)
		if err != nil {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		h(w, r, signedIn{me: userOrEmpty(ss.user), csrf: ss.csrf, noticeMark: a.notices.mark()})
	}
}

// signedIn is who a page is rendered for: the user and the CSRF token of
// the session.
type signedIn struct {
	me   user
	csrf string
	// noticeMark is the number of the newest notice when the page was
	// rendered (noticelog.go).
	noticeMark uint64
}

// data is what every signed-in page's script gets: the user the page is
// for (the script checks that the WebSocket connected as this user), the
// display names, the CSRF token for the host API, and the notice number
// to ask for missed notices after (notices.js).
func (s signedIn) data() map[string]any {
	return map[string]any{"me": s.me.ID, "names": displayNames(), "csrf": s.csrf, "notice_mark": s.noticeMark}
}

func (a *Arcade) connectionsPage(w http.ResponseWriter, r *http.Request, s signedIn) {
	a.render(w, r, "connections", pageData{
		Title: "Connections", Nav: "connections", Me: s.me, CSRF: s.csrf,
		Connections: connectionsOf(s.me.ID), Script: "connections.js", Data: s.data(),
	})
}

func (a *Arcade) chatPage(w http.ResponseWriter, r *http.Request, s signedIn) {
	target, ok := lookupUser(r.PathValue("user"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	// A page for someone who is not a connection renders too: the server
	// refuses the join (forbidden), and the page shows it.
	d := s.data()
	d["target"] = target.ID
	a.render(w, r, "chat", pageData{
		Title: "Chat with " + target.Name, Nav: "connections", Me: s.me, CSRF: s.csrf,
		Target: target, Script: "chat.js", Data: d,
	})
}

func (a *Arcade) groupsPage(w http.ResponseWriter, r *http.Request, s signedIn) {
	a.render(w, r, "groups", pageData{
		Title: "Groups", Nav: "groups", Me: s.me, CSRF: s.csrf,
		Connections: connectionsOf(s.me.ID), Script: "groups.js", Data: s.data(),
	})
}

// maxGroupID bounds the room id a group page accepts; the chat module's
// ids are far shorter.
const maxGroupID = 128

func (a *Arcade) groupPage(w http.ResponseWriter, r *http.Request, s signedIn) {
	id := r.PathValue("id")
	if id == "" || len(id) > maxGroupID {
		http.NotFound(w, r)
		return
	}
	// Whether the user is a member is the chat module's to say: the page
	// joins, and shows a refusal (forbidden, not_found) as any other.
	d := s.data()
	d["group"] = id
	d["connections"] = connectionsOf(s.me.ID)
	a.render(w, r, "group", pageData{
		Title: "Group", Nav: "groups", Me: s.me, CSRF: s.csrf,
		Group: id, Script: "group.js", Data: d,
	})
}

func (a *Arcade) gamePage(game string) func(w http.ResponseWriter, r *http.Request, s signedIn) {
	title := map[string]string{"tictactoe": "Tic-tac-toe", "chess": "Chess"}[game]
	return func(w http.ResponseWriter, r *http.Request, s signedIn) {
		d := s.data()
		d["game"] = game
		if q := r.URL.Query(); (q.Get("opponent") != "" || q.Get("nonce") != "") && crossSite(r) {
			// A link from another site would challenge, or accept a
			// challenge, in the user's name as the page loads: the page
			// asks first (game.js).
			d["confirm"] = true
		}
		d["connections"] = connectionsOf(s.me.ID)
		if game == "chess" {
			d["base_ms"] = chessTimeControl.Base.Milliseconds()
			d["increment_ms"] = chessTimeControl.Increment.Milliseconds()
		}
		a.render(w, r, game, pageData{
			Title: title, Nav: game, Me: s.me, CSRF: s.csrf, Game: game,
			Connections: connectionsOf(s.me.ID), Script: game + ".js", Data: d,
		})
	}
}

// crossSite reports whether the browser says the request came from
// another site (Sec-Fetch-Site: a link or a script there, a subdomain
// included), rather than from this site's own pages or the address bar.
// A browser that does not send the header is taken at its word: it says
// nothing.
func crossSite(r *http.Request) bool {
	v := r.Header.Get("Sec-Fetch-Site")
	return v == "cross-site" || v == "same-site"
}
