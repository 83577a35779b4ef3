package main

// The accessibility audit: axe-core, from npm, runs inside each page of
// the arcade in the real browser, and any serious or critical finding
// fails the test. Every finding is printed, whatever its impact.
//
// axe-core is installed by `npm ci` in testdata/axe (test.sh does it;
// the version is pinned in testdata/axe/package.json). Without it the
// audit skips, except in CI (CI set) or under PARLOR_REQUIRE_BROWSER=1,
// where it fails.

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// axePath is axe-core's browser build, installed by npm ci in testdata/axe.
var axePath = filepath.Join("testdata", "axe", "node_modules", "axe-core", "axe.min.js")

var (
	axeOnce   sync.Once
	axeSource string
	axeErr    error
)

// requireAxe returns axe-core's source, or skips the test (fails it in CI
// and under PARLOR_REQUIRE_BROWSER=1) when it is not installed.
func requireAxe(t *testing.T) string {
	t.Helper()
	axeOnce.Do(func() {
		b, err := os.ReadFile(axePath)
		axeSource, axeErr = string(b), err
	})
	if axeErr == nil {
		return axeSource
	}
	msg := fmt.Sprintf("axe-core is not installed (%v); run: (cd examples/arcade/testdata/axe && npm ci)", axeErr)
	if os.Getenv("CI") != "" || os.Getenv("PARLOR_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg)
	}
	t.Skip("accessibility audit skipped: " + msg)
	return ""
}

// axeFinding is one rule that a page breaks, as axe-core reports it.
type axeFinding struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axeRun runs axe-core on the whole document and returns its violations,
// each with its elements and what is wrong with them. The rules are
// those of WCAG 2.x A and AA and axe's best practices.
const axeRun = `axe.run(document, {
	runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
	resultTypes: ["violations"],
}).then(r => JSON.stringify(r.violations.map(v => ({
	id: v.id, impact: v.impact || "", help: v.help,
	nodes: v.nodes.map(n => n.target.join(" ") + " — " + (n.failureSummary || "").replace(/\s+/g, " ")),
}))))`

// audit runs axe-core in the tab's page, named page in the log. It prints
// every finding and fails the test on a serious or critical one.
func (p *browserTab) audit(page string) {
	p.t.Helper()
	src := requireAxe(p.t)
	browserEval[bool](p, "loading axe-core into "+page, `(() => { if (!window.axe) { (0, eval)(`+jsQuote(src)+`); } return !!window.axe; })()`)
	out := browserEval[string](p, "running axe-core on "+page, axeRun)
	var findings []axeFinding
	if err := json.Unmarshal([]byte(out), &findings); err != nil {
		p.t.Fatalf("%s: axe-core's answer: %v\n%s", page, err, out)
	}
	var bad []string
	for _, f := range findings {
		line := fmt.Sprintf("%s [%s] %s: %s\n    %s", page, f.Impact, f.ID, f.Help, strings.Join(f.Nodes, "\n    "))
		p.t.Logf("a11y finding: %s", line)
		if f.Impact == "serious" || f.Impact == "critical" {
			bad = append(bad, line)
		}
	}
	if len(bad) > 0 {
		p.t.Errorf("%s has %d serious or critical accessibility findings:\n%s", page, len(bad), strings.Join(bad, "\n"))
	}
}

// TestBrowserAccessibility audits every page of the arcade with axe-core
// in the states people see: signed out, the lists, a DM, a group with
// its management panel, both game lobbies, both games in play and over,
// and "Your games" with a chess replay.
func TestBrowserAccessibility(t *testing.T) {
	requireAxe(t)
	ab := startArcadeBrowser(t)
	alice, bob := ab.open("alice"), ab.open("bob")

	alice.navigate("/login")
	alice.waitVisible(`button[data-login="alice"]`)
	alice.audit("sign-in")
	alice.signIn()
	bob.signIn()
	alice.waitFor(`#conn-state[data-state="open"]`)
	alice.audit("connections")

	alice.navigate("/chat/bob")
	alice.waitFor(`#chat[data-state="ready"]`)
	alice.typeInto("#composer", "Hello Bob\n")
	alice.waitMessage("alice", "Hello Bob")
	alice.audit("chat DM")

	alice.navigate("/groups")
	alice.waitFor(`#groups[data-state="ready"]`)
	alice.audit("groups")
	alice.typeInto("#group-name", "Chess club")
	alice.click(`input.pick-member[value="bob"]`)
	alice.click("#create")
	alice.waitJS("the group page opens", `location.pathname.startsWith("/groups/")`)
	alice.waitFor(`#chat[data-state="ready"]`)
	alice.waitFor(`li.member[data-user="bob"] button.promote`)
	alice.typeInto("#composer", "Welcome\n")
	alice.waitMessage("alice", "Welcome")
	alice.audit("group with management")

	alice.navigate("/tictactoe")
	alice.waitVisible("#quick-match")
	alice.audit("tic-tac-toe lobby")
	startBrowserMatch(alice, bob, "tictactoe", "a11y-ttt")
	alice.waitFor(`#status[data-turn="you"]`)
	alice.audit("tic-tac-toe in play")
	alice.click(`button.cell[data-cell="4"]`)
	bob.waitFor(`#status[data-turn="you"]`)
	bob.audit("tic-tac-toe, the opponent's page")

	alice.navigate("/chess")
	alice.waitVisible("#quick-match")
	alice.audit("chess lobby")
	startBrowserMatch(alice, bob, "chess", "a11y-chess")
	alice.waitFor(`#status[data-turn="you"]`)
	alice.audit("chess in play")
	alice.click(`[data-square="e2"]`)
	alice.waitFor(`[data-square="e2"].selected`)
	alice.audit("chess with a piece selected")
	alice.click(`[data-square="e4"]`)
	bob.waitFor(`#status[data-turn="you"]`)
	bob.audit("chess, black's page")
	browserEval[bool](bob, "answering yes to confirm()", `(window.confirm = () => true, true)`)
	bob.click("#resign")
	alice.waitVisible(`#result[data-winner="alice"]`)
	bob.waitVisible(`#result[data-winner="alice"]`)
	alice.audit("chess over")

	alice.navigate("/games")
	alice.waitFor("table#games tr.game")
	alice.audit("your games")
	alice.click("table#games a.replay")
	alice.waitFor(`#board[data-ready="true"]`)
	alice.click("#next")
	alice.waitFor(`#ply[data-ply="1"]`)
	alice.audit("chess replay")
}

// startBrowserMatch opens game's page for a and b on the match of nonce,
// with a in seat 0 (X, or white), as a challenge accepted from the DM or
// the Connections page does, and waits until both boards are ready.
func startBrowserMatch(a, b *browserTab, game, nonce string) {
	a.t.Helper()
	seats := a.user + "," + b.user
	a.navigate("/" + game + "?" + url.Values{"opponent": {b.user}, "nonce": {nonce}, "seats": {seats}}.Encode())
	b.navigate("/" + game + "?" + url.Values{"opponent": {a.user}, "nonce": {nonce}, "seats": {seats}}.Encode())
	a.waitVisible(`#board[data-ready="true"]`)
	b.waitVisible(`#board[data-ready="true"]`)
}
