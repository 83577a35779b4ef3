package main

// Real-browser tests: headless Chromium, driven with chromedp, plays the
// arcade's pages against the real arcade (the real engine, chat store and
// game modules) served on loopback. Each test starts its own browser and
// gives every user a separate browser context, so their cookies are
// separate, as in two browser profiles.
//
// Without Chromium the tests skip, unless PARLOR_REQUIRE_BROWSER=1 (CI):
// then a missing browser fails them. The browser is $CHROMIUM_PATH, else
// /usr/bin/chromium, else chromium, chromium-browser or google-chrome on
// PATH.
//
// Screenshots of the pages go to $PARLOR_SCREENSHOTS, else to a folder
// under the system's temporary directory (the test log names it). With
// PARLOR_UPDATE_SCREENSHOTS=1 they are also copied to docs/screenshots/
// for the README:
//
//	PARLOR_UPDATE_SCREENSHOTS=1 go test -run Browser -count=1 ./examples/arcade

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

const (
	// browserStep bounds every step of a browser test: one navigation,
	// click, wait or screenshot.
	browserStep = 20 * time.Second
	// browserPoll is the interval at which a wait re-reads the DOM.
	browserPoll = 50 * time.Millisecond
	// browserWidth and browserHeight are the size of every page, and so
	// of the screenshots.
	browserWidth, browserHeight = 1000, 700
)

// chromiumFlags are Chromium's command-line flags: headless, as root (no
// sandbox), on a machine without a GPU or a network, with nothing running
// in the background. chromedp adds --remote-debugging-pipe and a fresh
// temporary --user-data-dir, which it removes when the browser exits.
var chromiumFlags = []chromedp.ExecAllocatorOption{
	chromedp.Flag("headless", "new"),
	chromedp.Flag("hide-scrollbars", true),
	chromedp.Flag("mute-audio", true),
	chromedp.NoSandbox,
	chromedp.Flag("disable-gpu", true),
	chromedp.Flag("disable-dev-shm-usage", true),
	chromedp.Flag("disable-quic", true),
	chromedp.NoFirstRun,
	chromedp.NoDefaultBrowserCheck,
	chromedp.Flag("disable-background-networking", true),
	chromedp.Flag("disable-component-update", true),
	chromedp.Flag("disable-sync", true),
	chromedp.Flag("disable-extensions", true),
	chromedp.Flag("disable-default-apps", true),
	chromedp.Flag("disable-breakpad", true),
	chromedp.Flag("no-proxy-server", true),
	chromedp.Flag("password-store", "basic"),
	chromedp.Flag("use-mock-keychain", true),
	chromedp.WindowSize(browserWidth, browserHeight),
}

// findChromium returns the browser to test with, or "" if there is none.
func findChromium() string {
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		if found, err := exec.LookPath(p); err == nil {
			return found
		}
		return ""
	}
	if st, err := os.Stat("/usr/bin/chromium"); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if found, err := exec.LookPath(name); err == nil {
			return found
		}
	}
	return ""
}

// requireChromium returns the browser's path, or skips the test (fails
// it under PARLOR_REQUIRE_BROWSER=1) when there is none.
func requireChromium(t *testing.T) string {
	t.Helper()
	path := findChromium()
	if path != "" {
		return path
	}
	msg := "no Chromium found (looked for /usr/bin/chromium, and for chromium, chromium-browser " +
		"and google-chrome on PATH); install it (Debian: apt-get install chromium) or set CHROMIUM_PATH"
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		msg = "CHROMIUM_PATH=" + p + " is not an executable; point it at Chromium or Chrome, or unset it"
	}
	if os.Getenv("PARLOR_REQUIRE_BROWSER") == "1" {
		t.Fatalf("PARLOR_REQUIRE_BROWSER=1 but %s", msg)
	}
	t.Skipf("browser test skipped: %s", msg)
	return ""
}

// arcadeBrowser is one browser test's world: the arcade on loopback and a
// headless Chromium.
type arcadeBrowser struct {
	t       *testing.T
	a       *Arcade
	conns   *connTracker    // the arcade's connections, to cut them
	base    string          // the arcade's URL, http://127.0.0.1:PORT
	browser context.Context // the browser's first context; users are children of it
	tabs    []*browserTab
}

// startArcadeBrowser starts the arcade and the browser, and registers
// their shutdown: the browser first (its WebSockets close), then the
// arcade, then the HTTP server.
func startArcadeBrowser(t *testing.T) *arcadeBrowser {
	t.Helper()
	chromium := requireChromium(t)

	a, err := newArcade(Config{
		DataDir: t.TempDir(),
		Logger:  zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)),
	})
	if err != nil {
		t.Fatalf("newArcade: %v", err)
	}
	srv := httptest.NewUnstartedServer(a.Handler()) // on 127.0.0.1
	conns := &connTracker{Listener: srv.Listener, conns: make(map[net.Conn]struct{})}
	srv.Listener = conns
	srv.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			t.Errorf("arcade shutdown: %v", err)
		}
		srv.Close()
	})

	opts := append([]chromedp.ExecAllocatorOption{chromedp.ExecPath(chromium)}, chromiumFlags...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	ab := &arcadeBrowser{t: t, a: a, conns: conns, base: srv.URL, browser: browserCtx}
	t.Cleanup(func() {
		for _, tab := range slices.Backward(ab.tabs) {
			tab.close()
		}
		cancelBrowser() // closes the browser and waits for it
		cancelAlloc()   // waits for the process and its temporary profile
	})
	start := time.Now()
	if err := browserWithin(browserCtx, cancelBrowser, browserStep, func() error { return chromedp.Do(browserCtx) }); err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	t.Logf("Chromium (%s) started in %v", chromium, time.Since(start).Round(time.Millisecond))
	return ab
}

// connTracker is a listener that remembers the connections it accepted,
// so that a test can cut them all, WebSockets included, as a network
// failure would.
type connTracker struct {
	net.Listener
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (l *connTracker) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns[c] = struct{}{}
		l.mu.Unlock()
	}
	return c, err
}

// cut closes every connection accepted so far.
func (l *connTracker) cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		_ = c.Close()
	}
	clear(l.conns)
}

// browserWithin runs f, the first action of the chromedp context ctx.
// That action binds the tab (or the browser) to the context it gets, so
// it cannot be given a context with a deadline. Past d, browserWithin
// cancels ctx and fails.
func browserWithin(ctx context.Context, cancel context.CancelFunc, d time.Duration, f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		cancel()
		<-done
		return fmt.Errorf("no answer within %v", d)
	case <-ctx.Done():
		<-done
		return ctx.Err()
	}
}

// browserTab is one user's tab, in a browser context of its own (separate
// cookies and storage, like a separate browser profile).
type browserTab struct {
	t      *testing.T
	ab     *arcadeBrowser
	user   string
	ctx    context.Context
	cancel context.CancelFunc

	console   sync.WaitGroup
	consoleMu sync.Mutex
	lines     []string // the page's console messages and exceptions
}

// open opens a new browser context with one tab, for user.
func (ab *arcadeBrowser) open(user string) *browserTab {
	ab.t.Helper()
	ctx, cancel := chromedp.NewContext(ab.browser, chromedp.WithNewBrowserContext())
	return ab.startTab(user, ctx, cancel)
}

// openTab opens another tab in p's browser context: it shares p's
// cookies, as a second tab of the same browser profile does.
func (p *browserTab) openTab(name string) *browserTab {
	p.t.Helper()
	ctx, cancel := chromedp.NewContext(p.ctx)
	return p.ab.startTab(name, ctx, cancel)
}

// startTab starts the tab of the chromedp context ctx and records its
// console.
func (ab *arcadeBrowser) startTab(user string, ctx context.Context, cancel context.CancelFunc) *browserTab {
	t := ab.t
	t.Helper()
	tab := &browserTab{t: t, ab: ab, user: user, ctx: ctx, cancel: cancel}
	ab.tabs = append(ab.tabs, tab)
	if err := browserWithin(ctx, cancel, browserStep, func() error {
		return chromedp.Do(ctx, chromedp.EmulateViewport(browserWidth, browserHeight))
	}); err != nil {
		t.Fatalf("%s: opening a tab: %v", user, err)
	}
	messages := chromedp.Console(ctx)
	tab.console.Go(func() {
		for m, err := range messages {
			if err != nil {
				return // the tab is closed
			}
			tab.consoleMu.Lock()
			tab.lines = append(tab.lines, fmt.Sprintf("%s %s:%d %s", m.Type, m.URL, m.Line+1, m.String()))
			tab.consoleMu.Unlock()
		}
	})
	return tab
}

// close closes the tab and its browser context.
func (p *browserTab) close() {
	p.cancel()
	p.console.Wait()
}

// fail reports a failed step with what the page showed: its URL, its
// console, the start of its body, and a screenshot.
func (p *browserTab) fail(what string, err error) {
	p.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s: %v", p.user, what, err)
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
		fmt.Fprintf(&b, "\n  page: %s", loc)
	}
	if body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`)); err == nil {
		if len(body) > 1500 {
			body = strings.ToValidUTF8(body[:1500], "") + "…"
		}
		fmt.Fprintf(&b, "\n  text:\n    %s", strings.ReplaceAll(strings.TrimSpace(body), "\n", "\n    "))
	}
	p.consoleMu.Lock()
	for _, l := range p.lines {
		fmt.Fprintf(&b, "\n  console: %s", l)
	}
	p.consoleMu.Unlock()
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		name := "failed-" + screenshotFileName(p.t.Name()) + "-" + p.user + ".png"
		if path, err := writeBrowserScreenshot(p.t, name, png, false); err == nil {
			fmt.Fprintf(&b, "\n  screenshot: %s", path)
		}
	}
	p.t.Fatal(b.String())
}

// do runs actions within one step's time.
func (p *browserTab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserStep)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.fail(what, err)
	}
}

// browserEval evaluates a JavaScript expression and decodes its value into T.
func browserEval[T any](p *browserTab, what, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserStep)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, evalAwaitPromise))
	if err != nil {
		p.fail(what, err)
	}
	return v
}

// evalAwaitPromise makes an evaluation wait for the promise its expression
// returns.
func evalAwaitPromise(p *runtime.EvaluateParams) { p.AwaitPromise = new(true) }

// waitJS waits until the JavaScript expression (or the promise it
// returns) is truthy. It survives navigations: an evaluation that fails
// while a page loads is retried.
func (p *browserTab) waitJS(what, expr string) {
	p.t.Helper()
	deadline := time.Now().Add(browserStep)
	var last error
	for {
		ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("Promise.resolve("+expr+").then(Boolean)", evalAwaitPromise))
		cancel()
		if err == nil && ok {
			return
		}
		var exc *chromedp.ExceptionError
		if errors.As(err, &exc) && strings.Contains(exc.Error(), "SyntaxError") {
			p.fail("bad expression "+expr, err) // a bug of the test: no use retrying
		}
		last = err
		if p.ctx.Err() != nil || time.Now().After(deadline) {
			if last == nil {
				last = fmt.Errorf("still false after %v", browserStep)
			}
			p.fail(fmt.Sprintf("waiting until %s (%s)", what, expr), last)
		}
		time.Sleep(browserPoll) // the interval between two reads of the DOM
	}
}

// waitFor waits until an element matches the CSS selector.
func (p *browserTab) waitFor(sel string) {
	p.t.Helper()
	p.waitJS(sel+" is present", "document.querySelector("+jsQuote(sel)+")")
}

// waitVisible waits until an element that matches the CSS selector is
// rendered: not hidden, with a box.
func (p *browserTab) waitVisible(sel string) {
	p.t.Helper()
	p.waitJS(sel+" is visible", `[...document.querySelectorAll(`+jsQuote(sel)+`)].some(el =>
		!el.closest("[hidden]") && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden")`)
}

// waitText waits until the element's trimmed text is want.
func (p *browserTab) waitText(sel, want string) {
	p.t.Helper()
	p.waitJS(fmt.Sprintf("%s reads %q", sel, want),
		"document.querySelector("+jsQuote(sel)+")?.textContent.trim() === "+jsQuote(want))
}

// attr returns an attribute of the first element matching sel ("" if it
// has none).
func (p *browserTab) attr(sel, name string) string {
	p.t.Helper()
	return browserEval[string](p, "reading "+sel+" "+name,
		"document.querySelector("+jsQuote(sel)+")?.getAttribute("+jsQuote(name)+") ?? ''")
}

// text returns the trimmed text of the first element matching sel.
func (p *browserTab) text(sel string) string {
	p.t.Helper()
	return browserEval[string](p, "reading "+sel, "document.querySelector("+jsQuote(sel)+")?.textContent.trim() ?? ''")
}

// location returns the tab's URL.
func (p *browserTab) location() *url.URL {
	p.t.Helper()
	s := browserEval[string](p, "reading the location", "location.href")
	u, err := url.Parse(s)
	if err != nil {
		p.t.Fatalf("%s: location %q: %v", p.user, s, err)
	}
	return u
}

// waitPath waits until the tab shows a page at path.
func (p *browserTab) waitPath(path string) {
	p.t.Helper()
	p.waitJS("the page is "+path, "location.pathname === "+jsQuote(path)+" && document.readyState !== 'loading'")
}

// navigate loads a page of the arcade.
func (p *browserTab) navigate(path string) {
	p.t.Helper()
	p.do("opening "+path, chromedp.Navigate(p.ab.base+path))
}

// click clicks the first visible element that matches the CSS selector.
func (p *browserTab) click(sel string) {
	p.t.Helper()
	p.do("clicking "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// screenshot saves the viewport as name.png, scrolled to the top of the
// page, or with the element that matches center (if not "") in the
// middle.
func (p *browserTab) screenshot(name, center string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserStep)
	defer cancel()
	// Blur the focused field, so no caret blinks in the picture.
	prepare := `document.activeElement?.blur(); window.scrollTo(0, 0);`
	if center != "" {
		prepare += `document.querySelector(` + jsQuote(center) + `)?.scrollIntoView({block: "center"});`
	}
	png, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		if _, err := chromedp.Evaluate[chromedp.Void](prepare)(ctx, t); err != nil {
			return nil, err
		}
		return chromedp.CaptureScreenshot()(ctx, t)
	})
	if err != nil {
		p.fail("screenshot "+name, err)
	}
	path, err := writeBrowserScreenshot(p.t, name+".png", png, true)
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	p.t.Logf("screenshot: %s", path)
}

// signIn signs the user in on the login page.
func (p *browserTab) signIn() {
	p.t.Helper()
	p.navigate("/login")
	p.click(`button[data-login="` + p.user + `"]`)
	p.waitPath("/connections")
	p.waitText("#me", p.user)
}

// jsQuote quotes s as a JavaScript string literal.
func jsQuote(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err) // a string always marshals
	}
	return string(b)
}

var (
	browserShotsOnce sync.Once
	browserShotsDir  string
	browserShotsErr  error
)

// browserScreenshotDir returns the folder for screenshots: $PARLOR_SCREENSHOTS,
// else parlor-screenshots in the system's temporary directory.
func browserScreenshotDir(t *testing.T) (string, error) {
	browserShotsOnce.Do(func() {
		dir := os.Getenv("PARLOR_SCREENSHOTS")
		if dir == "" {
			dir = filepath.Join(os.TempDir(), "parlor-screenshots")
		}
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
		browserShotsDir, browserShotsErr = dir, os.MkdirAll(dir, 0o755)
		if browserShotsErr == nil {
			t.Logf("screenshots go to %s", dir)
		}
	})
	return browserShotsDir, browserShotsErr
}

// writeBrowserScreenshot writes a PNG to the screenshot folder and, if publish
// and PARLOR_UPDATE_SCREENSHOTS=1, to docs/screenshots/ too.
func writeBrowserScreenshot(t *testing.T, name string, png []byte, publish bool) (string, error) {
	dir, err := browserScreenshotDir(t)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return "", err
	}
	if publish && os.Getenv("PARLOR_UPDATE_SCREENSHOTS") == "1" {
		// The test runs in examples/arcade; docs/ is at the module root.
		root, err := filepath.Abs(filepath.Join("..", ".."))
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
			return "", fmt.Errorf("module root not found at %s: %w", root, err)
		}
		docs := filepath.Join(root, "docs", "screenshots")
		if err := os.MkdirAll(docs, 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(docs, name), png, 0o644); err != nil {
			return "", err
		}
	}
	return path, nil
}

var screenshotNameRE = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func screenshotFileName(s string) string { return screenshotNameRE.ReplaceAllString(s, "_") }

// browserChatLine is a message as the chat page shows it.
type browserChatLine struct {
	Seq  string `json:"seq"`
	From string `json:"from"`
	Text string `json:"text"`
	Read string `json:"read"`
}

// messages returns the messages the chat page shows, in order.
func (p *browserTab) messages() []browserChatLine {
	p.t.Helper()
	return browserEval[[]browserChatLine](p, "reading the messages", `[...document.querySelectorAll("#messages .message")].map(m => ({
		seq: m.dataset.seq ?? "", from: m.dataset.from ?? "",
		text: m.querySelector(".text")?.textContent.trim() ?? "", read: m.dataset.read ?? "",
	}))`)
}

// waitMessage waits until the chat shows a message from `from` whose text
// is text.
func (p *browserTab) waitMessage(from, text string) {
	p.t.Helper()
	sel := `#messages .message[data-seq][data-from="` + from + `"]`
	p.waitJS(fmt.Sprintf("a message from %s reads %q", from, text),
		`[...document.querySelectorAll(`+jsQuote(sel)+`)].some(m => m.querySelector(".text")?.textContent.trim() === `+jsQuote(text)+`)`)
}

// TestBrowserChat signs alice and bob in, in two browser contexts, and
// has them chat: messages typed in one page appear in the other, with
// presence, typing and read receipts, and a reload shows the history.
func TestBrowserChat(t *testing.T) {
	ab := startArcadeBrowser(t)
	alice := ab.open("alice")

	// Signed out, a page sends the visitor to the login page.
	alice.navigate("/connections")
	alice.waitPath("/login")
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		alice.waitVisible(`button[data-login="` + u + `"]`)
	}
	alice.screenshot("login", "")

	alice.signIn()
	for _, u := range []string{"bob", "carol"} {
		sel := `li.connection[data-user="` + u + `"]`
		alice.waitVisible(sel + ` a.chat-button[href="/chat/` + u + `"]`)
		alice.waitVisible(sel + ` button.challenge[data-game="tictactoe"]`)
		alice.waitVisible(sel + ` button.challenge[data-game="chess"]`)
	}
	if n := browserEval[int](alice, "counting connections", `document.querySelectorAll("li.connection").length`); n != 2 {
		t.Errorf("alice has %d connections, want 2 (bob and carol)", n)
	}

	bob := ab.open("bob")
	bob.signIn()
	if n := browserEval[int](bob, "counting connections", `document.querySelectorAll("li.connection").length`); n != 3 {
		t.Errorf("bob has %d connections, want 3 (alice, carol and dave)", n)
	}

	// Each opens the chat from the Connections page.
	alice.click(`li.connection[data-user="bob"] a.chat-button`)
	alice.waitPath("/chat/bob")
	alice.waitFor(`#chat[data-state="ready"]`)
	bob.click(`li.connection[data-user="alice"] a.chat-button`)
	bob.waitPath("/chat/alice")
	bob.waitFor(`#chat[data-state="ready"]`)
	alice.waitFor(`#presence[data-online="true"]`)
	bob.waitFor(`#presence[data-online="true"]`)

	// alice sends with the button; it appears on both pages.
	alice.typeInto("#composer", "Hi Bob! Fancy a game?")
	alice.click("#send")
	alice.waitMessage("alice", "Hi Bob! Fancy a game?")
	bob.waitMessage("alice", "Hi Bob! Fancy a game?")
	alice.waitJS("the composer is empty", `document.querySelector("#composer").value === ""`)

	// bob types: alice sees him typing. Enter sends.
	bob.typeInto("#composer", "Sure, chess")
	alice.waitJS("bob is shown typing", `(() => {
		const el = document.querySelector("#typing");
		return el && !el.hidden && el.textContent.trim() !== "" && el.getClientRects().length > 0;
	})()`)
	bob.typeInto("#composer", " or tic-tac-toe?\n")
	alice.waitMessage("bob", "Sure, chess or tic-tac-toe?")
	bob.waitMessage("bob", "Sure, chess or tic-tac-toe?")

	// Both pages are open, so each message is read by the other user.
	alice.waitFor(`#messages .message[data-from="alice"][data-read="true"]`)
	bob.waitFor(`#messages .message[data-from="bob"][data-read="true"]`)

	alice.typeInto("#composer", "Chess it is. Challenge coming up!\n")
	bob.waitMessage("alice", "Chess it is. Challenge coming up!")
	alice.waitJS("bob is no longer shown typing", `(() => {
		const el = document.querySelector("#typing");
		return !el || el.hidden || el.textContent.trim() === "" || el.getClientRects().length === 0;
	})()`)
	alice.waitFor(`#messages .message[data-from="alice"][data-read="true"] .text`)
	alice.screenshot("chat-alice", "")
	bob.screenshot("chat-bob", "")

	// Both pages show the same history, in seq order.
	want := []browserChatLine{
		{From: "alice", Text: "Hi Bob! Fancy a game?"},
		{From: "bob", Text: "Sure, chess or tic-tac-toe?"},
		{From: "alice", Text: "Chess it is. Challenge coming up!"},
	}
	checkHistory := func(p *browserTab) {
		t.Helper()
		got := p.messages()
		if len(got) != len(want) {
			t.Fatalf("%s's page shows %d messages, want %d: %+v", p.user, len(got), len(want), got)
		}
		prev := 0
		for i, m := range got {
			seq, err := strconv.Atoi(m.Seq)
			if err != nil || seq <= prev {
				t.Errorf("%s's message %d has data-seq %q, want a number above %d", p.user, i, m.Seq, prev)
			}
			prev = seq
			if m.From != want[i].From || m.Text != want[i].Text {
				t.Errorf("%s's message %d is %s: %q, want %s: %q", p.user, i, m.From, m.Text, want[i].From, want[i].Text)
			}
		}
	}
	checkHistory(alice)
	checkHistory(bob)

	// A reload shows the history from the store.
	bob.do("reloading", chromedp.Reload())
	bob.waitFor(`#chat[data-state="ready"]`)
	checkHistory(bob)
	alice.do("reloading", chromedp.Reload())
	alice.waitFor(`#chat[data-state="ready"]`)
	checkHistory(alice)
	alice.waitFor(`#messages .message[data-from="alice"][data-read="true"]`)

	// The Connections page previews the last message with its author, so
	// that the other user's message cannot pass as one's own.
	const last = "Chess it is. Challenge coming up!"
	alice.navigate("/connections")
	alice.waitText(`li.connection[data-user="bob"] .last[data-from="alice"]`, "You: "+last)
	bob.navigate("/connections")
	bob.waitText(`li.connection[data-user="alice"] .last[data-from="alice"]`, "Alice: "+last)
	bob.navigate("/chat/alice")
	bob.waitFor(`#chat[data-state="ready"]`)
	bob.typeInto("#composer", "See you there\n")
	bob.waitMessage("bob", "See you there")
	alice.waitText(`li.connection[data-user="bob"] .last[data-from="bob"]`, "Bob: See you there")

	// Signing out (a POST with the CSRF token) ends the session: pages go
	// to the sign-in page again.
	bob.click("form.signout button")
	bob.waitPath("/login")
	bob.navigate("/connections")
	bob.waitPath("/login")
}

// plantCookie has the tab visit a page on another port of 127.0.0.1 that
// sets the arcade's session cookie to token. Cookies do not keep ports
// apart, so it replaces the cookie the arcade set, as any other program
// on the host could.
func (p *browserTab) plantCookie(token string) {
	p.t.Helper()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: cookieName, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		_, _ = w.Write([]byte("cookie set"))
	}))
	defer other.Close()
	if other.URL == p.ab.base {
		p.t.Fatal("the other server has the arcade's address")
	}
	p.do("opening the other port", chromedp.Navigate(other.URL))
	p.waitText("body", "cookie set")
}

// TestBrowserAccountSwap: when the session cookie changes under an open
// page (here planted from another port of the same host), the page does
// not go on as the other user. Over the WebSocket, it sees that it
// connected as someone else and stops; through the host API, its CSRF
// token no longer matches and it stops.
func TestBrowserAccountSwap(t *testing.T) {
	ab := startArcadeBrowser(t)

	// The WebSocket: alice's chat page reconnects after a network failure,
	// with bob's cookie.
	alice := ab.open("alice")
	alice.signIn()
	alice.navigate("/chat/bob")
	alice.waitFor(`#chat[data-state="ready"]`)
	alice.waitFor(`#conn-state[data-state="open"]`)
	bob, _, err := ab.a.sessions.create("bob")
	if err != nil {
		t.Fatal(err)
	}
	alice.openTab("alice's other tab").plantCookie(bob.token)
	ab.conns.cut()
	alice.waitFor(`#error[data-code="account_changed"]`)
	msg := alice.text("#error")
	for _, want := range []string{"Signed in as Bob in another tab", "for Alice", "Reload"} {
		if !strings.Contains(msg, want) {
			t.Errorf("alice's page says %q, want it to say %q", msg, want)
		}
	}
	alice.waitFor(`#conn-state[data-state="closed"]`)
	if !browserEval[bool](alice, "reading the composer", `document.querySelector("#composer").disabled && document.querySelector("#send").disabled`) {
		t.Error("the stopped chat page still lets alice type and send")
	}
	alice.screenshot("account-changed", "")

	// The host API: carol's Connections page loads challenges (as it does
	// when it opens, and after its user channel missed notices) with her
	// CSRF token and dave's cookie.
	carol := ab.open("carol")
	carol.signIn()
	carol.waitFor(`#conn-state[data-state="open"]`)
	dave, _, err := ab.a.sessions.create("dave")
	if err != nil {
		t.Fatal(err)
	}
	carol.openTab("carol's other tab").plantCookie(dave.token)
	browserEval[bool](carol, "loading challenges", `import("/static/common.js").then((m) => m.api("GET", "/api/challenges")).then(() => true, () => false)`)
	carol.waitFor(`#error[data-code="account_changed"]`)
	if msg := carol.text("#error"); !strings.Contains(msg, "Your session changed") || !strings.Contains(msg, "for Carol") {
		t.Errorf("carol's page says %q, want it to say that her session changed", msg)
	}
	if n := browserEval[int](carol, "counting challenges", `document.querySelectorAll("#challenges a.accept-challenge").length`); n != 0 {
		t.Errorf("carol's page lists %d challenges after the swap", n)
	}
}

// browserChallenge has alice challenge bob to game from the Connections
// page, and bob accept it from his. Both end on the game page with the
// same nonce. If shot is not "", bob's page with the challenge is saved
// as shot.png.
func browserChallenge(t *testing.T, alice, bob *browserTab, game, shot string) {
	t.Helper()
	bob.navigate("/connections")
	bob.waitText("#me", "bob")
	alice.navigate("/connections")
	alice.waitText("#me", "alice")
	alice.click(`li.connection[data-user="bob"] button.challenge[data-game="` + game + `"]`)
	alice.waitPath("/" + game)
	aq := alice.location().Query()
	if aq.Get("opponent") != "bob" || aq.Get("nonce") == "" {
		t.Fatalf("alice's game page has query %q, want opponent=bob and a nonce", aq.Encode())
	}

	accept := `#challenges a.accept-challenge[data-game="` + game + `"][data-from="alice"]`
	bob.waitVisible(accept) // pushed by the server on bob's user channel
	if shot != "" {
		bob.screenshot(shot, "")
	}
	bob.click(accept)
	bob.waitPath("/" + game)
	bq := bob.location().Query()
	if bq.Get("opponent") != "alice" || bq.Get("nonce") != aq.Get("nonce") {
		t.Fatalf("bob's game page has query %q, want opponent=alice and nonce=%s", bq.Encode(), aq.Get("nonce"))
	}
	alice.waitVisible(`#board[data-ready="true"]`)
	bob.waitVisible(`#board[data-ready="true"]`)
}

// browserFirstToMove waits until the match has started, and returns the player
// to move and the other one.
func browserFirstToMove(t *testing.T, a, b *browserTab) (*browserTab, *browserTab) {
	t.Helper()
	a.waitJS("the match has started", `["you", "them"].includes(document.querySelector("#status")?.dataset.turn)`)
	b.waitJS("the match has started", `["you", "them"].includes(document.querySelector("#status")?.dataset.turn)`)
	if a.attr("#status", "data-turn") == "you" {
		b.waitFor(`#status[data-turn="them"]`)
		return a, b
	}
	b.waitFor(`#status[data-turn="you"]`)
	a.waitFor(`#status[data-turn="them"]`)
	return b, a
}

// TestBrowserTicTacToe plays a whole game of tic-tac-toe by clicks, after
// a challenge from the Connections page, to a win for alice that both
// pages show.
func TestBrowserTicTacToe(t *testing.T) {
	ab := startArcadeBrowser(t)
	alice, bob := ab.open("alice"), ab.open("bob")
	alice.signIn()
	bob.signIn()
	browserChallenge(t, alice, bob, "tictactoe", "")

	// alice takes the top row; bob's cells never make a line, and if bob
	// starts, alice still completes hers first.
	cells := map[*browserTab][]string{alice: {"0", "1", "2"}, bob: {"3", "4", "8"}}
	mover, other := browserFirstToMove(t, alice, bob)
	marks := map[*browserTab]string{mover: "X", other: "O"}
	for ply := 1; len(cells[alice]) > 0; ply++ {
		cell := cells[mover][0]
		cells[mover] = cells[mover][1:]
		sel := `button.cell[data-cell="` + cell + `"]`
		mover.click(sel)
		mover.waitText(sel, marks[mover])
		other.waitText(sel, marks[mover])
		if len(cells[alice]) == 0 {
			break
		}
		other.waitFor(`#status[data-turn="you"]`)
		mover.waitFor(`#status[data-turn="them"]`)
		mover, other = other, mover
	}

	for _, p := range []*browserTab{alice, bob} {
		p.waitVisible(`#result[data-winner="alice"]`)
		if r := p.attr("#result", "data-reason"); r != "line" {
			t.Errorf("%s's page: #result data-reason = %q, want line", p.user, r)
		}
		p.waitFor(`#status[data-turn="none"]`)
	}
	alice.screenshot("tictactoe", "")
}

// TestBrowserChess plays Scholar's mate by clicks, after a challenge from
// the Connections page, and checks that both pages show the checkmate,
// the clocks, the move list and the PGN.
func TestBrowserChess(t *testing.T) {
	ab := startArcadeBrowser(t)
	alice, bob := ab.open("alice"), ab.open("bob")
	alice.signIn()
	bob.signIn()
	browserChallenge(t, alice, bob, "chess", "connections")

	white, black := browserFirstToMove(t, alice, bob)
	for _, p := range []*browserTab{white, black} {
		for _, sel := range []string{"#board .square", "#clock-white", "#clock-black", "#resign", "#offer-draw"} {
			p.waitVisible(sel)
		}
		if c := p.text("#clock-white"); !strings.Contains(c, ":") {
			t.Errorf("%s's page: #clock-white reads %q, want a time such as 5:00", p.user, c)
		}
	}

	// 1. e4 e5 2. Bc4 Nc6 3. Qh5 Nf6?? 4. Qxf7#, with the piece that
	// lands (data-piece: colour and piece letter).
	moves := []struct{ from, to, piece string }{
		{"e2", "e4", "wp"}, {"e7", "e5", "bp"},
		{"f1", "c4", "wb"}, {"b8", "c6", "bn"},
		{"d1", "h5", "wq"}, {"g8", "f6", "bn"},
		{"h5", "f7", "wq"},
	}
	mover, other := white, black
	for i, m := range moves {
		ply := i + 1
		mover.click(`[data-square="` + m.from + `"]`)
		mover.waitFor(`[data-square="` + m.from + `"].selected`)
		mover.click(`[data-square="` + m.to + `"]`)
		for _, p := range []*browserTab{mover, other} {
			p.waitJS(fmt.Sprintf("%s moved from %s to %s", m.piece, m.from, m.to), `(() => {
				const to = document.querySelector('[data-square="`+m.to+`"] .piece');
				const from = document.querySelector('[data-square="`+m.from+`"] .piece');
				return !from && to && to.dataset.piece === "`+m.piece+`";
			})()`)
			p.waitJS(fmt.Sprintf("the move list has %d plies", ply),
				fmt.Sprintf(`document.querySelectorAll("#moves li").length === %d`, ply))
		}
		if ply < len(moves) {
			other.waitFor(`#status[data-turn="you"]`)
			mover.waitFor(`#status[data-turn="them"]`)
			mover, other = other, mover
		}
	}

	for _, p := range []*browserTab{white, black} {
		p.waitVisible(`#result[data-winner="` + white.user + `"]`)
		if r := p.attr("#result", "data-reason"); r != "checkmate" {
			t.Errorf("%s's page: #result data-reason = %q, want checkmate", p.user, r)
		}
		p.waitFor(`#status[data-turn="none"]`)
		moveList := browserEval[string](p, "reading the move list", `[...document.querySelectorAll("#moves li")].map(li => li.textContent.trim()).join(" | ")`)
		for _, san := range []string{"e4", "e5", "Bc4", "Nc6", "Qh5", "Nf6", "Qxf7"} {
			if !strings.Contains(moveList, san) {
				t.Errorf("%s's page: move list %q lacks %s", p.user, moveList, san)
			}
		}
	}

	// The PGN link downloads the game.
	white.waitJS("the PGN link is shown", `(() => {
		const a = document.querySelector("#pgn");
		return a && !a.hidden && (a.getAttribute("href") ?? "").startsWith("/api/games/");
	})()`)
	white.waitJS("the PGN downloads", `fetch(document.querySelector("#pgn").href).then(r => r.ok)`)
	pgn := browserEval[string](white, "downloading the PGN", `fetch(document.querySelector("#pgn").href).then(r => r.text())`)
	for _, want := range []string{"Bc4", "Qxf7#", "1-0"} {
		if !strings.Contains(pgn, want) {
			t.Errorf("the PGN lacks %q:\n%s", want, pgn)
		}
	}
	white.screenshot("chess", "#board")
}

// TestBrowserSignOutEverywhere: alice is signed in on two browsers and bob
// on a third. "Sign out everywhere" on one of alice's sends both of hers
// to the login page, the other one because its WebSocket closed with 4011;
// bob's page stays connected.
func TestBrowserSignOutEverywhere(t *testing.T) {
	ab := startArcadeBrowser(t)
	laptop, phone, bob := ab.open("alice"), ab.open("alice"), ab.open("bob")
	for _, p := range []*browserTab{laptop, phone, bob} {
		p.signIn()
		p.waitFor(`#conn-state[data-state="open"]`)
	}
	laptop.click(`form.signout-everywhere button`)
	laptop.waitPath("/login")
	phone.waitPath("/login")
	phone.navigate("/connections")
	phone.waitPath("/login")
	bob.waitFor(`#conn-state[data-state="open"]`)
	bob.navigate("/connections")
	bob.waitText("#me", "bob")
	bob.waitFor(`#conn-state[data-state="open"]`)
}
