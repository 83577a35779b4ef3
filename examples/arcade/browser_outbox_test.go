package main

// Real-browser tests of the React example page (react/, served
// under /react/) and of the SDK's persistent outbox: a message sent while
// the server is down survives a page reload and arrives once.

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// reactLines returns the texts of the React page's messages with a given
// author, in order, and their client message ids.
func (p *browserTab) reactLines(from string) (texts, ids []string) {
	p.t.Helper()
	type line struct {
		Text string `json:"text"`
		ID   string `json:"id"`
	}
	lines := browserEval[[]line](p, "reading the messages", `[...document.querySelectorAll(`+
		jsQuote(`#messages li[data-from="`+from+`"]`)+`)].map(li => ({
		text: li.querySelector(".text")?.textContent ?? "", id: li.dataset.clientMsgId ?? "" }))`)
	for _, l := range lines {
		texts = append(texts, l.Text)
		ids = append(ids, l.ID)
	}
	return texts, ids
}

// waitReactMessage waits until the React page shows a message from `from`
// whose text is text.
func (p *browserTab) waitReactMessage(from, text string) {
	p.t.Helper()
	p.waitJS("the React page shows "+from+": "+text, `[...document.querySelectorAll(`+
		jsQuote(`#messages li[data-from="`+from+`"] .text`)+`)].some(s => s.textContent === `+jsQuote(text)+`)`)
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// TestBrowserReactChat: the React example page, built with the SDK's
// hooks, chats with itself in another browser: what alice sends in hers
// appears in bob's, live.
func TestBrowserReactChat(t *testing.T) {
	ab := startArcadeBrowser(t)
	alice, bob := ab.open("alice"), ab.open("bob")
	alice.signIn()
	bob.signIn()
	alice.navigate("/react/?with=bob")
	bob.navigate("/react/?with=alice")
	for _, p := range []*browserTab{alice, bob} {
		p.waitFor(`#conn[data-state="open"]`)
		p.waitFor(`#room[data-state="joined"]`)
	}
	alice.typeInto("#composer", "Hello from React")
	alice.click("#send")
	alice.waitReactMessage("alice", "Hello from React")
	bob.waitReactMessage("alice", "Hello from React")
	if v := alice.attr("#composer", "value"); v != "" {
		t.Errorf("the composer still holds %q after sending", v)
	}
}

// TestBrowserOutboxSurvivesReload: alice's page sends while the server is
// down, the page is reloaded (and fails to load), the server comes back,
// the page loads again and resends the kept message with its client
// message id: it arrives once, as bob's page and another reload show.
func TestBrowserOutboxSurvivesReload(t *testing.T) {
	ab := startArcadeBrowser(t)
	addr := ab.conns.Addr().String()
	alice := ab.open("alice")
	alice.signIn()
	alice.navigate("/react/?with=bob")
	alice.waitFor(`#room[data-state="joined"]`)

	// The server goes down: nothing listens, every connection is cut.
	if err := ab.conns.Listener.Close(); err != nil {
		t.Fatal(err)
	}
	ab.conns.cut()
	alice.waitFor(`#conn[data-state="reconnecting"], #conn[data-state="connecting"]`)

	const text = "sent while the server was down"
	alice.typeInto("#composer", text)
	alice.click("#send")
	const kept = `JSON.parse(localStorage.getItem("parlor-react-outbox") || "[]")`
	alice.waitJS("the send is kept in localStorage", kept+`.length === 1`)
	id := browserEval[string](alice, "reading the kept send's id", kept+`[0].id`)
	if !strings.HasPrefix(id, "c_") {
		t.Fatalf("kept client message id %q", id)
	}

	// The reload fails: the server is down.
	ctx, cancel := context.WithTimeout(alice.ctx, browserStep)
	_ = chromedp.Do(ctx, chromedp.Reload())
	cancel()
	if loc := browserEval[string](alice, "reading the location", "location.href"); strings.HasPrefix(loc, ab.base) {
		t.Logf("after the failed reload the tab shows %s", loc)
	}

	// The server comes back on the same address, with the same arcade.
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listening again on %s: %v", addr, err)
	}
	srv := &http.Server{Handler: ab.a.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })

	// The reloaded page resends the kept send: once the server acks it,
	// the outbox is empty. (The reloaded page does not always show its own
	// replayed message until its next load: a known limit, see
	// js/README.md; what counts here is that the message is stored once.)
	alice.navigate("/react/?with=bob")
	alice.waitJS("the outbox is empty", `localStorage.getItem("parlor-react-outbox") === null`)

	// bob's page reads the conversation from the server: the message is
	// there once, with the id the first page gave it.
	bob := ab.open("bob")
	bob.signIn()
	bob.navigate("/react/?with=alice")
	bob.waitReactMessage("alice", text)
	texts, ids := bob.reactLines("alice")
	if n := count(texts, text); n != 1 {
		t.Fatalf("bob sees the message %d times: %q", n, texts)
	}
	if got := ids[len(ids)-1]; got != id {
		t.Errorf("the stored message has client message id %q, want the kept send's %q", got, id)
	}

	// Another reload resends nothing.
	alice.navigate("/react/?with=bob")
	alice.waitFor(`#room[data-state="joined"]`)
	alice.waitReactMessage("alice", text)
	if texts, _ := alice.reactLines("alice"); count(texts, text) != 1 {
		t.Errorf("after another reload alice sees %q", texts)
	}
}
