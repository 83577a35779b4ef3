package main

import (
	"testing"
)

// TestBrowserNoticeWhileLoading: a notice sent while the user has no page
// (one page gone, the next not yet loaded) reaches the next page in the
// tab, once; the page after it does not show it again.
func TestBrowserNoticeWhileLoading(t *testing.T) {
	ab := startArcadeBrowser(t)
	alice, bob := ab.open("alice"), ab.open("bob")
	alice.signIn()
	bob.signIn()
	for _, p := range []*browserTab{alice, bob} {
		p.waitFor(`body[data-notices="ready"]`)
	}
	// Bob leaves the arcade's pages: his user channel is gone.
	bob.navigate("/static/style.css")
	alice.waitFor(`li.connection[data-user="bob"] .presence[data-status="offline"]`)

	alice.click(`li.connection[data-user="bob"] button.challenge[data-game="chess"]`)
	alice.waitPath("/chess")

	bob.navigate("/groups")
	toast := `#notices li.toast[data-state="offered"][data-from="alice"]`
	bob.waitVisible(toast)
	bob.waitText(toast+" .toast-text", "Alice challenges you to chess (5+3)")
	bob.waitFor(`body[data-notices="ready"]`)
	if n := browserEval[int](bob, "counting the offer's notices", `document.querySelectorAll(`+jsQuote(toast)+`).length`); n != 1 {
		t.Fatalf("%d notices of the offer, want 1", n)
	}

	// The next page in the tab has shown nothing of it.
	bob.navigate("/chat/carol")
	bob.waitFor(`body[data-notices="ready"]`)
	if n := browserEval[int](bob, "counting notices on the next page", `document.querySelectorAll("#notices li.toast").length`); n != 0 {
		t.Fatalf("the next page shows %d notices again", n)
	}
}
