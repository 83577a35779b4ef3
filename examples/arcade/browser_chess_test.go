package main

import (
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// laptopWidth and laptopHeight are a small laptop's window: the chess
// page must fit it without scrolling.
const laptopWidth, laptopHeight = 1280, 800

// browserPoint is a point in a page's viewport, in CSS pixels.
type browserPoint struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// squareCenter returns the center of a chess square in the viewport.
func (p *browserTab) squareCenter(sq string) browserPoint {
	p.t.Helper()
	return browserEval[browserPoint](p, "locating "+sq, `(() => {
		const r = document.querySelector('[data-square="`+sq+`"]').getBoundingClientRect();
		return {x: r.left + r.width / 2, y: r.top + r.height / 2};
	})()`)
}

// leftButtonHeld marks a mouse move made with the left button down.
func leftButtonHeld(p *input.DispatchMouseEventParams) { p.Buttons = 1 }

// drag drags a piece from one square to another with the mouse, as a
// person does: press, a few moves on the way, release.
func (p *browserTab) drag(from, to string) {
	p.t.Helper()
	a, b := p.squareCenter(from), p.squareCenter(to)
	actions := []chromedp.Action[chromedp.Void]{
		chromedp.MouseEvent(chromedp.MouseMoved, a.X, a.Y),
		chromedp.MouseEvent(chromedp.MousePressed, a.X, a.Y, chromedp.ButtonType(input.MouseButtonLeft), chromedp.ClickCount(1)),
	}
	const steps = 8
	for i := 1; i <= steps; i++ {
		x := a.X + (b.X-a.X)*float64(i)/steps
		y := a.Y + (b.Y-a.Y)*float64(i)/steps
		actions = append(actions, chromedp.MouseEvent(chromedp.MouseMoved, x, y, chromedp.ButtonType(input.MouseButtonLeft), leftButtonHeld))
	}
	actions = append(actions, chromedp.MouseEvent(chromedp.MouseReleased, b.X, b.Y, chromedp.ButtonType(input.MouseButtonLeft), chromedp.ClickCount(1)))
	p.do(fmt.Sprintf("dragging %s to %s", from, to), actions...)
}

// keys presses keys (see chromedp/kb) in the focused element.
func (p *browserTab) keys(what, keys string) {
	p.t.Helper()
	p.do(what, chromedp.KeyEvent(keys))
}

// waitPiece waits until sq holds piece (such as "wp"), and from is empty.
func (p *browserTab) waitPiece(from, sq, piece string) {
	p.t.Helper()
	p.waitJS(fmt.Sprintf("%s moved from %s to %s", piece, from, sq), `(() => {
		const to = document.querySelector('[data-square="`+sq+`"] .piece');
		return !document.querySelector('[data-square="`+from+`"] .piece') && to && to.dataset.piece === "`+piece+`";
	})()`)
}

// TestBrowserChessLaptop plays chess on a 1280×800 window: the page fits
// without scrolling, with both players' names and clocks in view; white
// moves by dragging, black by dragging on a board drawn from black's
// side, and white again by keyboard alone. The squares name their pieces
// and every move is announced.
func TestBrowserChessLaptop(t *testing.T) {
	ab := startArcadeBrowser(t)
	alice, bob := ab.open("alice"), ab.open("bob")
	for _, p := range []*browserTab{alice, bob} {
		p.do("setting a laptop's viewport", chromedp.EmulateViewport(laptopWidth, laptopHeight))
		p.signIn()
	}
	startBrowserMatch(alice, bob, "chess", "laptop")
	alice.waitFor(`#status[data-turn="you"]`)
	bob.waitFor(`#status[data-turn="them"]`)

	for _, p := range []*browserTab{alice, bob} {
		size := browserEval[map[string]float64](p, "measuring the page", `({
			scrollW: document.documentElement.scrollWidth, scrollH: document.documentElement.scrollHeight,
			w: window.innerWidth, h: window.innerHeight,
		})`)
		if size["w"] != laptopWidth || size["h"] != laptopHeight {
			t.Fatalf("%s's window is %vx%v, want %dx%d", p.user, size["w"], size["h"], laptopWidth, laptopHeight)
		}
		if size["scrollW"] > size["w"] || size["scrollH"] > size["h"] {
			t.Errorf("%s's chess page is %vx%v in a %vx%v window: it scrolls", p.user, size["scrollW"], size["scrollH"], size["w"], size["h"])
		}
		outside := browserEval[[]string](p, "checking what is in view", `[
			...document.querySelectorAll(".player-bar .player-name"), document.querySelector("#clock-white"),
			document.querySelector("#clock-black"), document.querySelector("#board"),
		].filter(el => {
			const r = el.getBoundingClientRect();
			return !(r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth);
		}).map(el => el.id || el.className + ": " + el.textContent)`)
		if len(outside) > 0 {
			t.Errorf("%s's page: not wholly in the 1280x800 view: %q", p.user, outside)
		}
		names := browserEval[string](p, "reading the names", `[...document.querySelectorAll(".player-bar .player-name")].map(e => e.textContent).join(" | ")`)
		if names != "Bob · Black | Alice · White" && names != "Alice · White | Bob · Black" &&
			names != "Bob · Black | Alice (you) · White" && names != "Alice · White | Bob (you) · Black" {
			t.Errorf("%s's page: player names %q, want both players with their colours", p.user, names)
		}
	}
	alice.screenshot("chess-laptop", "")

	// a1 is dark and h1 light, from either side.
	for _, p := range []*browserTab{alice, bob} {
		if !browserEval[bool](p, "reading the squares' colours", `document.querySelector('[data-square="a1"]').classList.contains("dark") &&
			!document.querySelector('[data-square="h1"]').classList.contains("dark")`) {
			t.Errorf("%s's board: a1 is not dark or h1 is not light", p.user)
		}
	}

	// The squares say their piece as well as their name.
	if l := alice.attr(`[data-square="g1"]`, "aria-label"); l != "g1, white knight" {
		t.Errorf(`g1's aria-label is %q, want "g1, white knight"`, l)
	}
	if l := alice.attr(`[data-square="e4"]`, "aria-label"); l != "e4" {
		t.Errorf(`e4's aria-label is %q, want "e4"`, l)
	}

	// White drags e2 to e4: bob sees it, and hears it.
	alice.drag("e2", "e4")
	for _, p := range []*browserTab{alice, bob} {
		p.waitPiece("e2", "e4", "wp")
	}
	bob.waitText("#announcer", "Alice: white pawn e2 to e4")
	if l := bob.attr(`[data-square="e4"]`, "aria-label"); l != "e4, white pawn" {
		t.Errorf(`after 1. e4, e4's aria-label is %q, want "e4, white pawn"`, l)
	}

	// Black drags on a board seen from black's side.
	bob.waitFor(`#status[data-turn="you"]`)
	if o := bob.attr("#board", "data-orientation"); o != "black" {
		t.Errorf("bob's board is drawn from %q's side, want black", o)
	}
	bob.drag("e7", "e5")
	alice.waitPiece("e7", "e5", "bp")
	alice.waitText("#announcer", "Bob: black pawn e7 to e5")

	// A drag to a square the piece cannot reach moves nothing and leaves
	// the piece picked.
	alice.waitFor(`#status[data-turn="you"]`)
	alice.drag("d2", "d5")
	alice.waitFor(`[data-square="d2"].selected [data-piece="wp"]`)
	if alice.attr(`[data-square="d5"]`, "aria-label") != "d5" {
		t.Errorf("an illegal drag changed d5")
	}

	// White plays Nf3 by keyboard alone: Escape drops the picked pawn,
	// the board is one tab stop, arrows move, Enter picks and plays.
	alice.do("focusing the board", chromedp.Focus(chromedp.CSS(`[data-square="g1"]`)))
	alice.keys("Escape", kb.Escape)
	alice.waitJS("d2 is dropped", `!document.querySelector(".square.selected")`)
	if n := browserEval[int](alice, "counting tab stops", `document.querySelectorAll('#board [tabindex="0"]').length`); n != 1 {
		t.Errorf("the board has %d tab stops, want 1", n)
	}
	alice.keys("picking g1", kb.Enter)
	alice.waitFor(`[data-square="g1"].selected`)
	alice.waitJS("f3 is announced as a legal move", `document.querySelector('[data-square="f3"]').getAttribute("aria-label") === "f3, legal move"`)
	alice.keys("moving to f3", kb.ArrowUp+kb.ArrowUp+kb.ArrowLeft)
	alice.waitJS("f3 has the focus", `document.activeElement?.dataset.square === "f3"`)
	alice.keys("playing f3", kb.Enter)
	for _, p := range []*browserTab{alice, bob} {
		p.waitPiece("g1", "f3", "wn")
	}
	bob.waitText("#announcer", "Alice: white knight g1 to f3")

	// bob resigns; alice steps through the game from "Your games".
	browserEval[bool](bob, "answering yes to confirm()", `(window.confirm = () => true, true)`)
	bob.click("#resign")
	alice.waitVisible(`#result[data-winner="alice"]`)
	alice.navigate("/games")
	alice.click(`table#games tr.game a.replay`)
	alice.waitPath("/games/replay")
	alice.waitFor(`#board[data-ready="true"]`)
	alice.waitText(".replay-game .outcome", "win")
	sans := browserEval[string](alice, "reading the replay's moves", `[...document.querySelectorAll("#replay-moves button.ply")].map(b => b.textContent).join(" ")`)
	if sans != "e4 e5 Nf3" {
		t.Errorf("the replay lists %q, want e4 e5 Nf3", sans)
	}
	// It starts at the start: e2 holds its pawn.
	alice.waitFor(`#ply[data-ply="0"]`)
	alice.waitFor(`[data-square="e2"] [data-piece="wp"]`)
	alice.waitFor(`#first:disabled`)
	alice.click("#next")
	alice.waitFor(`#ply[data-ply="1"]`)
	alice.waitPiece("e2", "e4", "wp")
	alice.waitText("#ply", "Move 1 of 3: e4, white pawn e2 to e4")
	if l := alice.attr(`[data-square="e4"]`, "aria-label"); l != "e4, white pawn" {
		t.Errorf(`the replay's e4 says %q, want "e4, white pawn"`, l)
	}
	alice.click("#last")
	alice.waitFor(`#ply[data-ply="3"]`)
	alice.waitPiece("g1", "f3", "wn")
	alice.waitFor(`#next:disabled`)
	alice.waitFor(`#replay-moves button.ply[data-ply="3"][aria-current="step"]`)
	alice.click("#prev")
	alice.waitFor(`#ply[data-ply="2"]`)
	alice.waitFor(`[data-square="g1"] [data-piece="wn"]`)
	// The keyboard: Home, ArrowRight, End; and a move in the list jumps.
	alice.do("focusing the page", chromedp.Focus(chromedp.CSS("#next")))
	alice.keys("Home", kb.Home)
	alice.waitFor(`#ply[data-ply="0"]`)
	alice.keys("ArrowRight twice", kb.ArrowRight+kb.ArrowRight)
	alice.waitFor(`#ply[data-ply="2"]`)
	alice.waitPiece("e7", "e5", "bp")
	alice.keys("End", kb.End)
	alice.waitFor(`#ply[data-ply="3"]`)
	alice.click(`#replay-moves button.ply[data-ply="1"]`)
	alice.waitFor(`#ply[data-ply="1"]`)
	alice.screenshot("chess-replay", "")

	// bob's "Your games" links the same game; carol, who did not play it,
	// gets no replay of it.
	carol := ab.open("carol")
	carol.signIn()
	replayURL := alice.location().RequestURI()
	carol.navigate(replayURL)
	if browserEval[bool](carol, "looking for the board", `!!document.querySelector("#board")`) {
		t.Errorf("carol sees the replay of a game she did not play")
	}
}

// TestBrowserTicTacToeKeyboard plays tic-tac-toe by keyboard alone: the
// board is one tab stop, arrow keys move between cells, Enter plays; the
// cells say their mark, and the moves and the result are announced.
func TestBrowserTicTacToeKeyboard(t *testing.T) {
	ab := startArcadeBrowser(t)
	alice, bob := ab.open("alice"), ab.open("bob")
	alice.signIn()
	bob.signIn()
	startBrowserMatch(alice, bob, "tictactoe", "keyboard")
	alice.waitFor(`#status[data-turn="you"]`)

	// play moves the focus from the focused cell by the arrow keys, and
	// plays that cell with Enter.
	play := func(p *browserTab, arrows string, cell int, mark string) {
		t.Helper()
		p.waitFor(`#status[data-turn="you"]`)
		if arrows != "" {
			p.keys("moving to cell "+fmt.Sprint(cell), arrows)
		}
		p.waitJS(fmt.Sprintf("cell %d has the focus", cell), fmt.Sprintf(`document.activeElement?.dataset.cell === "%d"`, cell))
		p.keys("playing", kb.Enter)
		sel := fmt.Sprintf(`button.cell[data-cell="%d"]`, cell)
		p.waitText(sel, mark)
	}
	// The one tab stop is the centre cell.
	for _, p := range []*browserTab{alice, bob} {
		p.do("focusing the board", chromedp.Focus(chromedp.CSS(`button.cell[tabindex="0"]`)))
	}
	play(alice, "", 4, "X") // centre
	bob.waitText("#announcer", "Alice played X in row 2, column 2")
	if l := bob.attr(`button.cell[data-cell="4"]`, "aria-label"); l != "Row 2, column 2, X" {
		t.Errorf(`the centre's aria-label is %q, want "Row 2, column 2, X"`, l)
	}
	// Each page keeps its own focus: bob's starts on the centre too.
	play(bob, kb.ArrowUp+kb.ArrowLeft, 0, "O")
	play(alice, kb.ArrowUp, 1, "X")
	play(bob, kb.ArrowDown+kb.ArrowDown+kb.ArrowRight, 7, "O") // blocks 1, 4, 7
	play(alice, kb.ArrowRight, 2, "X")
	play(bob, kb.ArrowRight, 8, "O")
	play(alice, kb.ArrowDown+kb.ArrowDown+kb.Home, 6, "X") // 2, 4, 6: a diagonal
	for _, p := range []*browserTab{alice, bob} {
		p.waitVisible(`#result[data-winner="alice"]`)
		p.waitJS("the result is announced", `document.querySelector("#announcer").textContent.includes("Alice wins")`)
	}
}
