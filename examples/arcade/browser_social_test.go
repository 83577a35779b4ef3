package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// challengeLatencyLimit is the longest a challenge may take from the
// challenger's click to the opponent's screen.
const challengeLatencyLimit = 500

// TestBrowserChallengeArrivesAtOnce: alice's challenge reaches bob's
// Connections page in under 500 ms from her click, pushed on his user
// channel, and is announced in the live region; presence shows who is
// online in words; bob declines from the list, alice hears of it on the
// game page, and the DM tells the story with no Accept left.
func TestBrowserChallengeArrivesAtOnce(t *testing.T) {
	ab := startArcadeBrowser(t)
	alice, bob := ab.open("alice"), ab.open("bob")
	alice.signIn()
	bob.signIn()
	for _, p := range []*browserTab{alice, bob} {
		p.waitFor(`body[data-notices="ready"]`)
		p.waitFor(`#challenges[data-ready="true"]`)
	}

	// Presence on Connections: a dot and words. Alice is signed in; carol
	// has never been.
	bob.waitFor(`li.connection[data-user="alice"] .presence[data-status="online"]`)
	bob.waitText(`li.connection[data-user="alice"] .presence`, "online")
	bob.waitText(`li.connection[data-user="carol"] .presence`, "offline")

	sel := `li.connection[data-user="bob"] button.challenge[data-game="chess"]`
	clicked := browserEval[float64](alice, "challenging bob",
		`(() => { const t = Date.now(); document.querySelector(`+jsQuote(sel)+`).click(); return t; })()`)
	item := `#challenges li.challenge-item[data-from="alice"][data-game="chess"]`
	bob.waitVisible(item)
	shown := browserEval[float64](bob, "when the challenge was shown", `Number(document.querySelector(`+jsQuote(item)+`).dataset.shownAt)`)
	elapsed := shown - clicked
	t.Logf("challenge from click to screen: %.0f ms", elapsed)
	if elapsed > challengeLatencyLimit || elapsed < 0 {
		t.Fatalf("the challenge took %.0f ms from alice's click to bob's screen, want under %d ms", elapsed, challengeLatencyLimit)
	}
	bob.waitText(item+" span", "Alice challenges you to chess (5+3)")
	bob.waitText("#announcer", "Alice challenges you to chess (5+3)")
	if role := bob.attr("#announcer", "aria-live"); role != "polite" {
		t.Errorf("#announcer aria-live = %q, want polite", role)
	}
	alice.waitPath("/chess")
	// The game page has its user channel, so the decline below reaches it
	// live (one sent while it loaded would come from GET /api/notices,
	// TestBrowserNoticeWhileLoading).
	alice.waitFor(`body[data-notices="ready"]`)
	bob.waitFor(`li.connection[data-user="alice"] .presence[data-status="online"]`)
	bob.screenshot("connections", "") // docs/screenshots/connections.png

	// Bob declines from the list; alice, waiting on the game page, is told.
	bob.click(item + ` button.decline-challenge`)
	bob.waitFor(`#challenges li.empty`)
	alice.waitVisible(`#notices li.toast[data-state="declined"]`)
	alice.waitText(`#notices li.toast[data-state="declined"] .toast-text`, "Bob declined your chess (5+3) challenge")

	// The DM holds the challenge and its outcome; nothing is left to accept.
	bob.navigate("/chat/alice")
	bob.waitFor(`#chat[data-state="ready"]`)
	bob.waitText(`.game-note[data-state="offered"] .note-text`, "Alice challenged you to chess (5+3)")
	bob.waitText(`.game-note[data-state="declined"] .note-text`, "You declined the chess (5+3) challenge")
	if n := browserEval[int](bob, "counting Accept buttons", `document.querySelectorAll(".game-note .accept-challenge").length`); n != 0 {
		t.Errorf("%d Accept buttons left on an answered challenge", n)
	}
	bob.waitFor(`#status[data-status="online"]`)
	bob.waitText("#status", "online")
}

// TestBrowserAcceptFromTheDM: a challenge shows in the DM with Accept and
// Decline as it comes; Accept opens the game, and both play.
func TestBrowserAcceptFromTheDM(t *testing.T) {
	ab := startArcadeBrowser(t)
	alice, bob := ab.open("alice"), ab.open("bob")
	alice.signIn()
	bob.signIn()
	bob.navigate("/chat/alice")
	bob.waitFor(`#chat[data-state="ready"]`)
	alice.waitFor(`body[data-notices="ready"]`)

	alice.click(`li.connection[data-user="bob"] button.challenge[data-game="tictactoe"]`)
	alice.waitPath("/tictactoe")
	note := `.game-note[data-state="offered"]`
	bob.waitText(note+" .note-text", "Alice challenged you to tic-tac-toe")
	bob.waitVisible(note + " .decline-challenge")
	bob.screenshot("challenge-in-chat", note)
	bob.click(note + " a.accept-challenge")
	bob.waitPath("/tictactoe")
	alice.waitVisible(`#board[data-ready="true"]`)
	bob.waitVisible(`#board[data-ready="true"]`)
	mover, other := browserFirstToMove(t, alice, bob)

	// The other player leaves the game page; after the mover's move, their
	// page says it is their turn, and Play takes them back to their seat.
	other.navigate("/connections")
	other.waitFor(`body[data-notices="ready"]`)
	mover.waitFor(`#status[data-turn="you"]`)
	mover.click(`button.cell[data-cell="4"]`)
	turn := `#notices li.toast[data-state="your_turn"]`
	other.waitVisible(turn)
	opponent := map[*browserTab]string{alice: "Bob", bob: "Alice"}[other]
	other.waitText(turn+" .toast-text", "Your turn against "+opponent+" in tic-tac-toe")
	other.waitText("#announcer", "Your turn against "+opponent+" in tic-tac-toe")
	other.click(turn + " a")
	other.waitPath("/tictactoe")
	other.waitFor(`#status[data-turn="you"]`)
}

// TestBrowserPresenceWords: the words for each status, "last seen"
// included, as the pages write them.
func TestBrowserPresenceWords(t *testing.T) {
	ab := startArcadeBrowser(t)
	bob := ab.open("bob")
	bob.signIn()
	bob.waitText(`li.connection[data-user="dave"] .presence`, "offline")
	got := browserEval[[]string](bob, "formatting statuses", `import("/static/presence.js").then((m) => [
		m.statusText({ status: "online", lastSeen: 0 }),
		m.statusText({ status: "away", lastSeen: 0 }),
		m.statusText({ status: "offline", lastSeen: Date.now() - 5 * 60000 - 1000 }),
		m.statusText({ status: "offline", lastSeen: Date.now() - 2000 }),
		m.statusText({ status: "offline", lastSeen: 0 }),
	])`)
	want := []string{"online", "away", "last seen 5 min ago", "last seen just now", "offline"}
	if len(got) != len(want) {
		t.Fatalf("statuses read %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("status %d reads %q, want %q", i, got[i], want[i])
		}
	}
}

// TestBrowserCancelFromTheDM: the challenger cancels from the DM; the
// note of the outcome follows, and the opponent's list empties.
func TestBrowserCancelFromTheDM(t *testing.T) {
	ab := startArcadeBrowser(t)
	alice, bob := ab.open("alice"), ab.open("bob")
	alice.signIn()
	bob.signIn()
	bob.waitFor(`#challenges[data-ready="true"]`)
	alice.click(`li.connection[data-user="bob"] button.challenge[data-game="chess"]`)
	alice.waitPath("/chess")
	bob.waitVisible(`#challenges li.challenge-item[data-from="alice"]`)
	alice.navigate("/chat/bob")
	alice.waitText(`.game-note[data-state="offered"] .note-text`, "You challenged Bob to chess (5+3)")
	alice.click(`.game-note[data-state="offered"] button.cancel-challenge`)
	alice.waitText(`.game-note[data-state="cancelled"] .note-text`, "You cancelled the chess (5+3) challenge")
	bob.waitFor(`#challenges li.empty`)
	bob.waitText("#announcer", "Alice cancelled the chess (5+3) challenge")
}

// TestBrowserCrossSiteChallengeLinkAsks: a page of another site (here
// another port of the host, which a browser counts as the same site but
// another origin) that sends alice to a challenge link does not challenge
// bob in her name as the game page loads: the page asks, and only her
// click sends the challenge.
func TestBrowserCrossSiteChallengeLinkAsks(t *testing.T) {
	ab := startArcadeBrowser(t)
	alice := ab.open("alice")
	alice.signIn()
	target := ab.base + "/tictactoe?opponent=bob&nonce=from-elsewhere"
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<!doctype html><script>location = ` + jsQuote(target) + `;</script>`))
	}))
	defer other.Close()
	alice.do("opening the other site", chromedp.Navigate(other.URL))
	alice.waitPath("/tictactoe")
	alice.waitVisible(`.confirm-challenge button`)
	time.Sleep(300 * time.Millisecond) // what the page would have sent by now
	if got := ab.a.challenges.pending("bob"); len(got) != 0 {
		t.Fatalf("the link challenged bob before alice said so: %+v", got)
	}
	alice.click(`.confirm-challenge button`)
	alice.waitFor(`#game:not([hidden])`)
	deadline := time.Now().Add(10 * time.Second)
	for len(ab.a.challenges.pending("bob")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("alice's click did not challenge bob")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
