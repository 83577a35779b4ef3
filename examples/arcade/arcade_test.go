package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/client/userchannel"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testArcade is the arcade under test, served on loopback.
type testArcade struct {
	t       *testing.T
	dir     string
	a       *Arcade
	srv     *httptest.Server
	clients []*client.Client
	stopped bool
}

// startArcade starts the arcade on dir (a new temporary directory if
// empty) and stops it when the test ends.
func startArcade(t *testing.T, dir string) *testArcade {
	t.Helper()
	return startArcadeWith(t, Config{DataDir: dir})
}

// startArcadeWith starts the arcade with cfg (in a new temporary directory
// if cfg.DataDir is empty, logging to the test) and stops it when the test
// ends.
func startArcadeWith(t *testing.T, cfg Config) *testArcade {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.Logger = zaptest.NewLogger(t)
	dir := cfg.DataDir
	a, err := newArcade(cfg)
	if err != nil {
		t.Fatalf("newArcade: %v", err)
	}
	srv := httptest.NewUnstartedServer(a.Handler())
	srv.Config.ReadHeaderTimeout = 5 * time.Second
	srv.Start()
	ta := &testArcade{t: t, dir: dir, a: a, srv: srv}
	t.Cleanup(ta.stop)
	return ta
}

// stop closes the clients, shuts the arcade down and closes the server.
func (ta *testArcade) stop() {
	if ta.stopped {
		return
	}
	ta.stopped = true
	for _, c := range ta.clients {
		_ = c.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ta.a.Shutdown(ctx); err != nil {
		ta.t.Errorf("arcade shutdown: %v", err)
	}
	ta.srv.Close()
}

func (ta *testArcade) wsURL() string { return "ws" + strings.TrimPrefix(ta.srv.URL, "http") + "/ws" }

// do sends a request without following redirects.
func (ta *testArcade) do(method, path string, header http.Header, body io.Reader) *http.Response {
	ta.t.Helper()
	req, err := http.NewRequest(method, ta.srv.URL+path, body)
	if err != nil {
		ta.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	c := *ta.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		ta.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// login signs user in through POST /login and returns the headers the
// pages' requests carry: the session cookie and the session's CSRF token.
func (ta *testArcade) login(user string) http.Header {
	ta.t.Helper()
	c := ta.loginCookie(user)
	ss, ok := ta.a.sessions.lookup(c.Value)
	if !ok {
		ta.t.Fatalf("login %s: the cookie names no session", user)
	}
	h := http.Header{"Cookie": {c.Name + "=" + c.Value}}
	h.Set(csrfHeader, ss.csrf)
	return h
}

// loginCookie signs user in through POST /login and returns the session
// cookie as set.
func (ta *testArcade) loginCookie(user string) *http.Cookie {
	ta.t.Helper()
	resp := ta.do(http.MethodPost, "/login", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		strings.NewReader(url.Values{"user": {user}}.Encode()))
	_ = readBody(ta.t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/connections" {
		ta.t.Fatalf("login %s = %d to %q, want 303 to /connections", user, resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, c := range resp.Cookies() {
		if c.Name == cookieName {
			return c
		}
	}
	ta.t.Fatalf("login %s set no %s cookie", user, cookieName)
	return nil
}

// dial connects a Go client with these credentials.
func (ta *testArcade) dial(header http.Header) *client.Client {
	ta.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, ta.wsURL(), client.Options{Header: header, Client: "arcade-test"})
	if err != nil {
		ta.t.Fatalf("dial: %v", err)
	}
	ta.clients = append(ta.clients, c)
	return c
}

// upgradeStatus sends a WebSocket upgrade request by hand and returns the
// status the server answered with.
func (ta *testArcade) upgradeStatus(path string, header http.Header) int {
	ta.t.Helper()
	up := http.Header{
		"Connection":             {"Upgrade"},
		"Upgrade":                {"websocket"},
		"Sec-Websocket-Version":  {"13"},
		"Sec-Websocket-Key":      {"dGhlIHNhbXBsZSBub25jZQ=="},
		"Sec-Websocket-Protocol": {engine.Subprotocol},
	}
	for k, v := range header {
		up[k] = v
	}
	resp := ta.do(http.MethodGet, path, up, nil)
	_ = readBody(ta.t, resp)
	return resp.StatusCode
}

// waitEvent waits for the next event named name in room on c, skipping
// others.
func waitEvent(t *testing.T, c *client.Client, room, name string) client.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("%s: events closed waiting for %s", c.UserID(), name)
			}
			if ev.Room == room && ev.Name == name {
				return ev
			}
		case <-timeout:
			t.Fatalf("%s: timed out waiting for %s", c.UserID(), name)
		}
	}
}

func codeOf(err error) string {
	var ce *codec.Error
	if errors.As(err, &ce) {
		return string(ce.Code)
	}
	return ""
}

func ctx10s(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestSignInAndForgedSessions(t *testing.T) {
	ta := startArcade(t, "")

	// Signed out: pages go to /login, the API says 401, /ws says 401.
	for _, p := range []string{"/connections", "/chat/bob", "/tictactoe", "/chess", "/"} {
		resp := ta.do(http.MethodGet, p, nil, nil)
		_ = readBody(t, resp)
		want := "/login"
		if p == "/" {
			want = "/connections"
		}
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("signed-out GET %s = %d to %q, want 303 to %s", p, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	resp := ta.do(http.MethodGet, "/api/challenges", nil, nil)
	_ = readBody(t, resp)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("signed-out GET /api/challenges = %d, want 401", resp.StatusCode)
	}

	alice := ta.login("alice")
	token := strings.TrimPrefix(alice.Get("Cookie"), cookieName+"=")
	if raw, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(raw) != tokenLen {
		t.Errorf("session token %q: %d bytes (%v), want %d random bytes in base64url", token, len(raw), err, tokenLen)
	}
	if strings.Contains(token, "alice") {
		t.Errorf("session token %q names the user", token)
	}

	// Tokens the server did not issue name no session.
	forged := map[string]string{
		"a user name":          "alice",
		"the old signed form":  "alice." + token,
		"a random token":       randomToken(),
		"alice's, one changed": flipFirst(token),
		"alice's CSRF token":   alice.Get(csrfHeader),
	}
	for name, v := range forged {
		h := http.Header{"Cookie": {cookieName + "=" + v}}
		if got := ta.upgradeStatus("/ws", h); got != http.StatusUnauthorized {
			t.Errorf("%s: /ws upgrade = %d, want 401", name, got)
		}
		resp := ta.do(http.MethodGet, "/connections", h, nil)
		_ = readBody(t, resp)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
			t.Errorf("%s: /connections = %d to %q, want 303 to /login", name, resp.StatusCode, resp.Header.Get("Location"))
		}
	}

	// The real cookie identifies alice. Her token in the URL does not:
	// URLs end up in logs.
	if c := ta.dial(alice); c.UserID() != "alice" {
		t.Errorf("cookie user = %q, want alice", c.UserID())
	}
	if got := ta.upgradeStatus("/ws?token="+url.QueryEscape(token), nil); got != http.StatusUnauthorized {
		t.Errorf("alice's token as ?token=: upgrade = %d, want 401", got)
	}

	// Sign-in refuses unknown users and other origins.
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	resp = ta.do(http.MethodPost, "/login", form, strings.NewReader("user=mallory"))
	_ = readBody(t, resp)
	if resp.StatusCode != http.StatusBadRequest || len(resp.Cookies()) != 0 {
		t.Errorf("login as mallory = %d with %d cookies, want 400 and none", resp.StatusCode, len(resp.Cookies()))
	}
	form.Set("Origin", "http://evil.example")
	resp = ta.do(http.MethodPost, "/login", form, strings.NewReader("user=alice"))
	_ = readBody(t, resp)
	if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
		t.Errorf("cross-origin login = %d with %d cookies, want 403 and none", resp.StatusCode, len(resp.Cookies()))
	}
	resp = ta.do(http.MethodGet, "/login?as=alice", nil, nil)
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || len(resp.Cookies()) != 0 {
		t.Errorf("GET /login?as=alice without DevLogin = %d with %d cookies, want the page and no cookie", resp.StatusCode, len(resp.Cookies()))
	}
	if !strings.Contains(body, "no passwords") || !strings.Contains(body, "127.0.0.1") {
		t.Error("the sign-in page does not say that it has no passwords and is for 127.0.0.1")
	}
}

// flipFirst returns s with its first character changed.
func flipFirst(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

// listChallenges returns user's pending challenges from the host API.
func (ta *testArcade) listChallenges(h http.Header) []challenge {
	ta.t.Helper()
	resp := ta.do(http.MethodGet, "/api/challenges", h, nil)
	body := readBody(ta.t, resp)
	if resp.StatusCode != http.StatusOK {
		ta.t.Fatalf("GET /api/challenges = %d: %s", resp.StatusCode, body)
	}
	var out struct{ Challenges []challenge }
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		ta.t.Fatalf("decode %s: %v", body, err)
	}
	return out.Challenges
}

// waitChallenges waits until user's pending challenges number n: the
// games module tells the host off the match's goroutine.
func (ta *testArcade) waitChallenges(h http.Header, n int) []challenge {
	ta.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		list := ta.listChallenges(h)
		if len(list) == n || time.Now().After(deadline) {
			if len(list) != n {
				ta.t.Fatalf("pending challenges %+v, want %d", list, n)
			}
			return list
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// dmNotes returns the game notes of the DM of c's user with other.
func dmNotes(t *testing.T, c *client.Client, other string) []chat.GameNote {
	t.Helper()
	j, err := c.Join(ctx10s(t), chat.KindDM, map[string]string{"with": other})
	if err != nil {
		t.Fatalf("join the DM with %s: %v", other, err)
	}
	defer func() { _ = c.Leave(ctx10s(t), j.Room) }()
	var snap chat.Snapshot
	if err := j.Decode(&snap); err != nil {
		t.Fatal(err)
	}
	var out []chat.GameNote
	for _, m := range snap.Messages {
		if m.Kind == chat.KindGame && m.Game != nil {
			out = append(out, *m.Game)
		}
	}
	return out
}

// waitNotes waits until the DM of c's user with other holds n game notes.
func waitNotes(t *testing.T, c *client.Client, other string, n int) []chat.GameNote {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		notes := dmNotes(t, c, other)
		if len(notes) == n || time.Now().After(deadline) {
			if len(notes) != n {
				t.Fatalf("game notes %+v, want %d", notes, n)
			}
			return notes
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestChallengesLiveInTheGames: a challenge is the challenger's join of
// the match; the opponent hears of it on their user channel and finds it
// in GET /api/challenges and in the DM, declines it there, and a stranger
// cannot challenge at all.
func TestChallengesLiveInTheGames(t *testing.T) {
	ta := startArcade(t, "")
	ctx := ctx10s(t)
	aliceH, bobH, carolH := ta.login("alice"), ta.login("bob"), ta.login("carol")
	alice, bob, dave := ta.dial(aliceH), ta.dial(bobH), ta.dial(ta.login("dave"))
	bobCh, err := userchannel.Join(ctx, bob)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := alice.Join(ctx, "games.chess", games.JoinParams{Opponent: "bob", Nonce: "n1"}); err != nil {
		t.Fatalf("alice challenges bob: %v", err)
	}
	var n games.ChallengeNotice
	for {
		u, err := bobCh.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if u.Event.Name == games.EventChallenge {
			if err := u.Event.Decode(&n); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if n.State != games.ChallengeOffered || n.From != "alice" || n.Nonce != "n1" || n.BaseMS != 300000 || n.IncrementMS != 3000 {
		t.Fatalf("bob's notice: %+v", n)
	}
	got := ta.waitChallenges(bobH, 1)
	if c := got[0]; c.From != "alice" || c.Game != "chess" || c.Nonce != "n1" || c.URL != "/chess?nonce=n1&opponent=alice" || c.Room != n.Room {
		t.Errorf("bob's challenges = %+v", got)
	}
	if got := ta.listChallenges(carolH); len(got) != 0 {
		t.Errorf("carol sees bob's challenges: %v", got)
	}
	notes := waitNotes(t, bob, "alice", 1)
	if notes[0].State != chat.GameOffered || notes[0].From != "alice" || notes[0].Ref != n.Room || notes[0].BaseMS != 300000 {
		t.Errorf("the DM's note: %+v", notes[0])
	}

	// A stranger's challenge is refused and changes nothing for anyone.
	if _, err := dave.Join(ctx, "games.chess", games.JoinParams{Opponent: "alice", Nonce: "d1"}); codeOf(err) != string(codec.CodeForbidden) {
		t.Errorf("dave challenges alice: %v, want forbidden", err)
	}
	if got := ta.listChallenges(aliceH); len(got) != 0 {
		t.Errorf("alice's challenges after dave's refused one: %+v", got)
	}
	if got := ta.listChallenges(bobH); len(got) != 1 {
		t.Errorf("bob's challenges after dave's refused one: %+v", got)
	}

	// Without the session's CSRF token the list is refused.
	h := bobH.Clone()
	h.Del(csrfHeader)
	resp := ta.do(http.MethodGet, "/api/challenges", h, nil)
	if _ = readBody(t, resp); resp.StatusCode != http.StatusForbidden {
		t.Errorf("listing challenges without a CSRF token = %d, want 403", resp.StatusCode)
	}
	// The old way to post a challenge is gone.
	resp = ta.do(http.MethodPost, "/api/challenges", aliceH, strings.NewReader(`{}`))
	if _ = readBody(t, resp); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /api/challenges = %d, want 405", resp.StatusCode)
	}

	// Bob declines: the list empties and the DM says so.
	if _, err := bob.Join(ctx, "games.chess", games.JoinParams{Opponent: "alice", Nonce: "n1", Decline: true}); err != nil {
		t.Fatalf("bob declines: %v", err)
	}
	ta.waitChallenges(bobH, 0)
	notes = waitNotes(t, alice, "bob", 2)
	if notes[1].State != chat.GameDeclined || notes[1].By != "bob" {
		t.Errorf("the DM's second note: %+v", notes[1])
	}
}

// TestPresenceOnlyForConnections: bob, a connection, sees alice online;
// dave, who is not, sees her offline with no last seen.
func TestPresenceOnlyForConnections(t *testing.T) {
	ta := startArcade(t, "")
	ctx := ctx10s(t)
	_ = ta.dial(ta.login("alice"))
	watch := func(viewer string) (*userchannel.Channel, userchannel.Presence) {
		ch, err := userchannel.Join(ctx, ta.dial(ta.login(viewer)))
		if err != nil {
			t.Fatal(err)
		}
		list, err := ch.Watch(ctx, "alice")
		if err != nil || len(list) != 1 {
			t.Fatalf("%s watches alice: %v %v", viewer, list, err)
		}
		return ch, list[0]
	}
	bobCh, p := watch("bob")
	for p.Status != userchannel.Online { // published a moment after she connected
		u, err := bobCh.Next(ctx)
		if err != nil {
			t.Fatalf("bob waits for alice online: %v", err)
		}
		if u.Presence != nil {
			p = *u.Presence
		}
	}
	if _, p := watch("dave"); p.Status != userchannel.Offline || p.LastSeenMS != 0 {
		t.Errorf("dave sees alice as %+v, want offline with no last seen", p)
	}
}

func TestDirectMessagesOnlyBetweenConnections(t *testing.T) {
	ta := startArcade(t, "")
	ctx := ctx10s(t)
	alice := ta.dial(ta.login("alice"))
	bob := ta.dial(ta.login("bob"))
	dave := ta.dial(ta.login("dave"))

	aj, err := alice.Join(ctx, chat.KindDM, map[string]string{"with": "bob"})
	if err != nil {
		t.Fatalf("alice joins the DM with bob: %v", err)
	}
	bj, err := bob.Join(ctx, chat.KindDM, map[string]string{"with": "alice"})
	if err != nil {
		t.Fatalf("bob joins the DM with alice: %v", err)
	}
	if aj.Room != bj.Room {
		t.Fatalf("alice and bob are in different rooms: %s, %s", aj.Room, bj.Room)
	}
	if _, err := alice.Send(ctx, aj.Room, "send", map[string]string{"text": "hi bob"}); err != nil {
		t.Fatalf("alice sends: %v", err)
	}
	var m chat.Message
	if err := waitEvent(t, bob, bj.Room, "message").Decode(&m); err != nil {
		t.Fatal(err)
	}
	if m.From != "alice" || m.Text != "hi bob" {
		t.Errorf("bob got %+v", m)
	}

	// alice and dave are not connected, and dave cannot reach alice's DMs.
	if _, err := alice.Join(ctx, chat.KindDM, map[string]string{"with": "dave"}); codeOf(err) != string(codec.CodeForbidden) {
		t.Errorf("alice joins a DM with dave: %v, want forbidden", err)
	}
	if _, err := dave.Join(ctx, chat.KindDM, map[string]string{"with": "alice"}); codeOf(err) != string(codec.CodeForbidden) {
		t.Errorf("dave joins a DM with alice: %v, want forbidden", err)
	}
	if _, err := dave.Send(ctx, aj.Room, "send", map[string]string{"text": "let me in"}); codeOf(err) != string(codec.CodeForbidden) {
		t.Errorf("dave sends to alice and bob's room: %v, want forbidden", err)
	}
}

func TestTicTacToeChallengeToAWin(t *testing.T) {
	ta := startArcade(t, "")
	ctx := ctx10s(t)
	aliceH, bobH := ta.login("alice"), ta.login("bob")
	alice, bob := ta.dial(aliceH), ta.dial(bobH)

	// alice challenges bob by joining the match, as the Connections page does.
	aj, err := alice.Join(ctx, "games.tictactoe", games.JoinParams{Opponent: "bob", Nonce: "ttt1"})
	if err != nil {
		t.Fatalf("alice joins: %v", err)
	}
	bj, err := bob.Join(ctx, "games.tictactoe", games.JoinParams{Opponent: "alice", Nonce: "ttt1"})
	if err != nil {
		t.Fatalf("bob joins: %v", err)
	}
	if aj.Room != bj.Room {
		t.Fatalf("different rooms: %s, %s", aj.Room, bj.Room)
	}
	var snap games.Snapshot
	if err := aj.Decode(&snap); err != nil || snap.Seat != 0 {
		t.Fatalf("alice's snapshot: seat %d, %v; want seat 0 (X)", snap.Seat, err)
	}
	waitEvent(t, alice, aj.Room, games.EventStarted)

	// X: 0, 1, 2 (top row); O: 3, 4.
	players := []*client.Client{alice, bob}
	for i, cell := range []int{0, 3, 1, 4, 2} {
		p := players[i%2]
		if _, err := p.Send(ctx, aj.Room, games.EventMove, map[string]int{"cell": cell, "ply": i}); err != nil {
			t.Fatalf("move %d (cell %d): %v", i, cell, err)
		}
	}
	for _, p := range players {
		var over games.GameOver
		if err := waitEvent(t, p, aj.Room, games.EventGameOver).Decode(&over); err != nil {
			t.Fatal(err)
		}
		if over.Winner != 0 || over.Reason != "line" {
			t.Errorf("%s: game over %+v, want seat 0 by line", p.UserID(), over)
		}
	}
	// The DM between them tells the story: offered, accepted, and who won.
	notes := waitNotes(t, bob, "alice", 3)
	if notes[0].State != chat.GameOffered || notes[1].State != chat.GameAccepted || notes[2].State != chat.GameFinished ||
		notes[2].Winner != "alice" || notes[2].Reason != "line" || notes[2].Ply != 5 || notes[2].Ref != aj.Room {
		t.Errorf("game notes: %+v", notes)
	}

	// carol may watch by room id; a move from her is refused.
	carol := ta.dial(ta.login("carol"))
	cj, err := carol.Join(ctx, "games.tictactoe", games.JoinParams{Room: aj.Room, Spectate: true})
	if err != nil {
		t.Fatalf("carol spectates: %v", err)
	}
	var cs games.Snapshot
	if err := cj.Decode(&cs); err != nil || cs.Seat != -1 || cs.Status != games.StatusOver {
		t.Errorf("carol's snapshot: seat %d status %q (%v), want a spectator of a finished game", cs.Seat, cs.Status, err)
	}
}

func TestChessPGNDownload(t *testing.T) {
	ta := startArcade(t, "")
	ctx := ctx10s(t)
	aliceH := ta.login("alice")
	alice, bob := ta.dial(aliceH), ta.dial(ta.login("bob"))
	params := games.JoinParams{Seats: []string{"alice", "bob"}, Nonce: "mate"}
	aj, err := alice.Join(ctx, "games.chess", params)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Join(ctx, "games.chess", params); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, alice, aj.Room, games.EventStarted)

	resp := ta.do(http.MethodGet, "/api/games/"+aj.Room+"/pgn", aliceH, nil)
	if _ = readBody(t, resp); resp.StatusCode != http.StatusNotFound {
		t.Errorf("PGN of a game being played = %d, want 404", resp.StatusCode)
	}

	players := []*client.Client{alice, bob}
	for i, san := range []string{"e4", "e5", "Bc4", "Nc6", "Qh5", "Nf6", "Qxf7#"} {
		if _, err := players[i%2].Send(ctx, aj.Room, games.EventMove, map[string]string{"san": san}); err != nil {
			t.Fatalf("%s: %v", san, err)
		}
	}
	resp = ta.do(http.MethodGet, "/api/games/"+aj.Room+"/pgn", aliceH, nil)
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PGN = %d: %s", resp.StatusCode, body)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, ".pgn") {
		t.Errorf("Content-Disposition = %q, want an attachment", cd)
	}
	for _, want := range []string{`[White "alice"]`, `[Black "bob"]`, `[Result "1-0"]`, `[TimeControl "300+3"]`, "4. Qxf7#", "1-0"} {
		if !strings.Contains(body, want) {
			t.Errorf("PGN lacks %q:\n%s", want, body)
		}
	}
	resp = ta.do(http.MethodGet, "/api/games/"+aj.Room+"/pgn", nil, nil)
	if _ = readBody(t, resp); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("signed-out PGN = %d, want 401", resp.StatusCode)
	}
}

func TestPagesRender(t *testing.T) {
	ta := startArcade(t, "")
	alice := ta.login("alice")
	pages := []struct {
		path string
		want []string
	}{
		{"/login", []string{`data-login="alice"`, `data-login="bob"`, `data-login="carol"`, `data-login="dave"`}},
		{"/connections", []string{`id="me">alice<`, `class="connection" data-user="bob"`, `class="connection" data-user="carol"`, `href="/chat/bob"`, `chat-button`, `data-game="tictactoe"`, `data-game="chess"`, `id="challenges"`, `/static/connections.js`}},
		{"/chat/bob", []string{`id="chat"`, `id="messages"`, `id="composer"`, `id="send"`, `id="typing"`, `id="presence"`, `/static/chat.js`}},
		{"/tictactoe", []string{`id="quick-match"`, `id="board"`, `data-cell="8"`, `id="status"`, `id="result"`, `id="spectate-link"`, `/static/tictactoe.js`}},
		{"/chess", []string{`id="quick-match"`, `id="board"`, `id="promotion"`, `data-piece="q"`, `data-piece="n"`, `id="clock-white"`, `id="clock-black"`, `id="resign"`, `id="offer-draw"`, `id="accept-draw"`, `id="decline-draw"`, `id="moves"`, `id="status"`, `id="result"`, `id="pgn"`, `id="spectate-link"`, `/static/chess.js`}},
	}
	for _, p := range pages {
		resp := ta.do(http.MethodGet, p.path, alice, nil)
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d", p.path, resp.StatusCode)
			continue
		}
		signOut := `<form class="signout" method="post" action="/logout">`
		for _, w := range append(p.want, signOut, `name="csrf" value="`+alice.Get(csrfHeader)+`"`, `id="error"`, `/static/style.css`) {
			if p.path == "/login" && (w == signOut || strings.HasPrefix(w, `name="csrf"`)) {
				w = "Sign in"
			}
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %s", p.path, w)
			}
		}
	}
	// dave is not alice's connection: no list entry for him.
	resp := ta.do(http.MethodGet, "/connections", alice, nil)
	if body := readBody(t, resp); strings.Contains(body, `data-user="dave"`) {
		t.Error("alice's connections list dave")
	}
	resp = ta.do(http.MethodGet, "/chat/mallory", alice, nil)
	if _ = readBody(t, resp); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /chat/mallory = %d, want 404", resp.StatusCode)
	}

	// The scripts, the stylesheet and the SDK they import.
	for path, want := range map[string]string{
		"/static/style.css":       "text/css",
		"/static/chat.js":         "text/javascript",
		"/static/chess.js":        "text/javascript",
		"/static/tictactoe.js":    "text/javascript",
		"/static/connections.js":  "text/javascript",
		"/parlor.js":              "text/javascript",
		"/static/../arcade.go":    "",
		"/static/missing.js":      "",
		"/static/nonexistent.css": "",
	} {
		resp := ta.do(http.MethodGet, path, nil, nil)
		body := readBody(t, resp)
		if want == "" {
			if resp.StatusCode == http.StatusOK {
				t.Errorf("GET %s = 200, want an error", path)
			}
			continue
		}
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), want) {
			t.Errorf("GET %s = %d %q, want 200 %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), want)
		}
		if strings.HasSuffix(path, ".js") && path != "/parlor.js" && path != "/static/common.js" &&
			!strings.Contains(body, `import { connect } from "/parlor.js"`) {
			t.Errorf("%s does not import connect from /parlor.js", path)
		}
	}
}

func TestRestartKeepsHistory(t *testing.T) {
	dir := t.TempDir()
	ta := startArcade(t, dir)
	ctx := ctx10s(t)
	alice := ta.dial(ta.login("alice"))
	j1, err := alice.Join(ctx, chat.KindDM, map[string]string{"with": "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Send(ctx, j1.Room, "send", map[string]string{"text": "remember me"}); err != nil {
		t.Fatal(err)
	}
	ta.stop()

	info, err := os.Stat(filepath.Join(dir, secretFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() != secretLen || info.Mode().Perm() != 0o600 {
		t.Errorf("secret file: %d bytes, mode %v; want %d bytes, 0600", info.Size(), info.Mode().Perm(), secretLen)
	}

	ta2 := startArcade(t, dir)
	bob := ta2.dial(ta2.login("bob"))
	j2, err := bob.Join(ctx, chat.KindDM, map[string]string{"with": "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if j2.Room != j1.Room {
		t.Errorf("DM room id changed across the restart: %s, then %s", j1.Room, j2.Room)
	}
	var snap struct {
		Messages []chat.Message `msgpack:"messages"`
	}
	if err := j2.Decode(&snap); err != nil {
		t.Fatal(err)
	}
	if len(snap.Messages) != 1 || snap.Messages[0].Text != "remember me" || snap.Messages[0].From != "alice" {
		t.Errorf("history after the restart = %+v, want alice's message", snap.Messages)
	}
}
