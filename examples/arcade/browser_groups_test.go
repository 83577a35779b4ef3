package main

// Real-browser tests of groups, muting and hiding: the Groups page, the
// group page with its members panel, and the Mute and Hide buttons of a
// DM, played by several users in separate browser contexts.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// typeInto types text into the field that matches sel: it focuses the
// field from the page's script and then sends key events to the focused
// element. Resolving the field through DOM node ids (chromedp.SendKeys)
// fails now and then with "Could not find node with given id" right
// after a navigation, while chromedp still holds the previous document,
// and chromedp.SendKeys reads the node's attributes without the lock its
// DOM event handler takes to change them: a data race under -race when
// the page changes the field's attributes meanwhile. Every test types
// through typeInto.
func (p *browserTab) typeInto(sel, text string) {
	p.t.Helper()
	p.waitJS(sel+" is focused", `(() => { const el = document.querySelector(`+jsQuote(sel)+`);
		if (!el) return false; el.focus(); return document.activeElement === el; })()`)
	p.do("typing into "+sel, chromedp.KeyEvent(text))
}

// waitHidden waits until no element that matches sel is rendered.
func (p *browserTab) waitHidden(sel string) {
	p.t.Helper()
	p.waitJS(sel+" is not shown", `![...document.querySelectorAll(`+jsQuote(sel)+`)].some(el =>
		!el.closest("[hidden]") && el.getClientRects().length > 0)`)
}

// TestBrowserGroups has alice create a group with bob and carol and run
// it: messages reach every member, a promotion gives bob the admin
// controls, his rename reaches everyone, carol's removal stops her page
// (and a new join is refused) while alice and bob go on, demoting the
// last admin is refused with conflict, and a muted group shows no unread
// badge on the Groups list.
func TestBrowserGroups(t *testing.T) {
	ab := startArcadeBrowser(t)
	alice, bob, carol := ab.open("alice"), ab.open("bob"), ab.open("carol")
	for _, p := range []*browserTab{alice, bob, carol} {
		p.signIn()
	}
	for _, p := range []*browserTab{bob, carol} {
		p.navigate("/groups")
		p.waitFor(`#groups[data-state="ready"]`)
		p.waitText("#groups li.empty", "No groups yet.")
	}

	// alice creates the group from the Groups page: she may pick only
	// her connections.
	alice.click(`nav a[href="/groups"]`)
	alice.waitPath("/groups")
	picks := browserEval[[]string](alice, "reading the member picks",
		`[...document.querySelectorAll("input.pick-member")].map(i => i.value)`)
	if strings.Join(picks, ",") != "bob,carol" {
		t.Errorf("alice may pick %v, want her connections [bob carol]", picks)
	}
	alice.typeInto("#group-name", "Weekend chess")
	alice.click(`input.pick-member[value="bob"]`)
	alice.click(`input.pick-member[value="carol"]`)
	alice.click("#create")
	alice.waitJS("the group page opens", `location.pathname.startsWith("/groups/")`)
	alice.waitFor(`#chat[data-state="ready"]`)
	groupPath := alice.location().Path
	room := strings.TrimPrefix(groupPath, "/groups/")
	alice.waitText("#group-name", "Weekend chess")
	alice.waitText(`.member-note[data-seq="1"]`, "You created the group “Weekend chess” with Bob and Carol")
	alice.waitText(`li.member[data-user="alice"][data-admin="true"] .badge`, "Admin")
	for _, u := range []string{"bob", "carol"} {
		alice.waitFor(`li.member[data-user="` + u + `"][data-admin="false"] button.promote`)
	}

	// The new group reaches bob's and carol's lists live.
	item := `li.group-item[data-room="` + room + `"]`
	bob.waitText(item+" a.group-link", "Weekend chess")
	carol.waitText(item+" a.group-link", "Weekend chess")

	// bob opens it: he is no admin, so he has no admin controls.
	bob.click(item + " a.group-link")
	bob.waitPath(groupPath)
	bob.waitFor(`#chat[data-state="ready"]`)
	bob.waitFor(`li.member[data-user="alice"][data-admin="true"]`)
	if !browserEval[bool](bob, "reading bob's controls",
		`document.querySelector("#rename-form").hidden && !document.querySelector("#members button")`) {
		t.Errorf("bob, who is not an admin, is shown admin controls")
	}
	bob.waitVisible("#leave")

	// A message reaches bob's page and carol's list, with an unread badge.
	alice.typeInto("#composer", "Hello group\n")
	alice.waitMessage("alice", "Hello group")
	bob.waitMessage("alice", "Hello group")
	carol.waitText(item+" .last", "Alice: Hello group")
	carol.waitText(item+" .unread", "1")
	carol.waitVisible(item + " .unread")

	// carol opens the group and mutes it: on the list, the next message
	// updates the preview but shows no badge.
	carol.click(item + " a.group-link")
	carol.waitPath(groupPath)
	carol.waitFor(`#chat[data-state="ready"]`)
	carol.waitMessage("alice", "Hello group")
	carol.waitFor(`#mute[aria-pressed="false"]`)
	carol.click("#mute")
	carol.waitFor(`#mute[aria-pressed="true"]`)
	carol.navigate("/groups")
	carol.waitFor(`#groups[data-state="ready"]`)
	carol.waitFor(item + `[data-muted="true"]`)
	carol.waitVisible(item + " .muted-label")
	bob.typeInto("#composer", "Muted for Carol?\n")
	bob.waitMessage("bob", "Muted for Carol?")
	carol.waitText(item+" .last", "Bob: Muted for Carol?")
	carol.waitHidden(item + " .unread")
	// The mute is carol's alone: alice's page still has the group unmuted.
	alice.waitMessage("bob", "Muted for Carol?")
	alice.waitFor(`#mute[aria-pressed="false"]`)

	// The snapshot says muted when carol comes back.
	carol.navigate(groupPath)
	carol.waitFor(`#chat[data-state="ready"]`)
	carol.waitFor(`#mute[aria-pressed="true"]`)
	carol.waitMessage("bob", "Muted for Carol?")

	// alice promotes bob: everyone sees the badge, and bob gets the
	// admin controls.
	alice.click(`li.member[data-user="bob"] button.promote`)
	alice.waitText(`li.member[data-user="bob"][data-admin="true"] .badge`, "Admin")
	alice.waitText("#membership-status", "Bob is now an admin")
	bob.waitText(`li.member[data-user="bob"][data-admin="true"] .badge`, "Admin")
	bob.waitText("#membership-status", "You are now an admin")
	bob.waitVisible("#rename-form")
	bob.waitVisible(`li.member[data-user="carol"] button.remove`)
	carol.waitFor(`li.member[data-user="bob"][data-admin="true"]`)
	carol.waitNote("Bob is now an admin")

	// bob renames the group: the name changes on every page.
	bob.typeInto("#rename-input", "Chess club")
	bob.click("#rename")
	for _, p := range []*browserTab{alice, bob, carol} {
		p.waitText("#group-name", "Chess club")
	}
	alice.waitText("#membership-status", "Bob renamed the group to “Chess club”")
	carol.waitNote("Bob renamed the group to “Chess club”")

	// alice removes carol: carol's page says so and stops sending.
	alice.click(`li.member[data-user="carol"] button.remove`)
	carol.waitFor(`#chat[data-state="removed"]`)
	carol.waitText("#removed", "You were removed from this group")
	carol.waitVisible("#removed")
	carol.waitJS("carol's composer is disabled", `document.querySelector("#composer").disabled && document.querySelector("#send").disabled`)
	for _, p := range []*browserTab{alice, bob} {
		p.waitJS("carol is no longer listed", `!document.querySelector('li.member[data-user="carol"]')`)
	}
	alice.waitNote("You removed Carol")
	bob.waitNote("Alice removed Carol")
	bob.waitText("#membership-status", "Alice removed Carol")
	// The server refuses her too: opening the group again is forbidden.
	carol.navigate(groupPath)
	carol.waitFor(`#chat[data-state="error"]`)
	carol.waitFor(`#error[data-code="forbidden"]`)
	// The group goes on for alice and bob.
	alice.typeInto("#composer", "Just the two of us\n")
	bob.waitMessage("alice", "Just the two of us")
	alice.screenshot("group", "")

	// alice demotes bob, then tries to demote herself, the last admin:
	// refused with conflict, and she stays an admin.
	alice.click(`li.member[data-user="bob"] button.demote`)
	bob.waitFor(`li.member[data-user="bob"][data-admin="false"]`)
	bob.waitHidden("#rename-form")
	alice.waitText("#membership-status", "Bob is no longer an admin")
	alice.click(`li.member[data-user="alice"] button.demote`)
	alice.waitVisible(`#error[data-code="conflict"]`)
	if got := alice.text("#error"); !strings.Contains(got, "admin") {
		t.Errorf("the conflict reads %q, want it to say why (a group keeps an admin)", got)
	}
	alice.waitFor(`li.member[data-user="alice"][data-admin="true"]`)
	bob.waitFor(`li.member[data-user="alice"][data-admin="true"]`)

	// bob leaves: he goes to his Groups list, which no longer has it.
	bob.click("#leave")
	bob.waitPath("/groups")
	bob.waitFor(`#groups[data-state="ready"]`)
	bob.waitJS("the group left bob's list", `!document.querySelector(`+jsQuote(item)+`)`)
	alice.waitNote("Bob left")
	alice.waitJS("bob is no longer listed", `!document.querySelector('li.member[data-user="bob"]')`)
}

// waitNote waits until the group page shows a members line with text.
func (p *browserTab) waitNote(text string) {
	p.t.Helper()
	p.waitJS(fmt.Sprintf("a members line reads %q", text),
		`[...document.querySelectorAll("#messages .member-note")].some(n => n.textContent.trim() === `+jsQuote(text)+`)`)
}

// TestBrowserDMMuteHide mutes and hides a DM: a muted DM shows no unread
// badge on Connections (the other user's badge is unaffected), the mute
// survives a reload, and a hidden DM leaves the previews until the next
// message brings it back.
func TestBrowserDMMuteHide(t *testing.T) {
	ab := startArcadeBrowser(t)
	alice, bob := ab.open("alice"), ab.open("bob")
	alice.signIn()
	bob.signIn()
	bob.navigate("/chat/alice")
	bob.waitFor(`#chat[data-state="ready"]`)

	conv := `li.connection[data-user="bob"]`
	bob.typeInto("#composer", "ping\n")
	bob.waitMessage("bob", "ping")
	alice.waitText(conv+" .unread", "1")
	alice.waitVisible(conv + " .unread")

	// alice mutes the DM.
	alice.click(conv + " a.chat-button")
	alice.waitPath("/chat/bob")
	alice.waitFor(`#chat[data-state="ready"]`)
	alice.waitFor(`#mute[aria-pressed="false"]`)
	alice.click("#mute")
	alice.waitFor(`#mute[aria-pressed="true"]`)
	alice.navigate("/connections")
	alice.waitFor(`ul.connections[data-inbox="ready"]`)
	alice.waitVisible(conv + " .muted-label")
	bob.typeInto("#composer", "ping 2\n")
	bob.waitMessage("bob", "ping 2")
	alice.waitText(conv+" .last", "Bob: ping 2")
	alice.waitHidden(conv + " .unread")

	// bob has not muted it: his badge counts alice's message.
	bob.navigate("/connections")
	bob.waitFor(`ul.connections[data-inbox="ready"]`)
	alice.navigate("/chat/bob")
	alice.waitFor(`#chat[data-state="ready"]`)
	alice.waitFor(`#mute[aria-pressed="true"]`) // from the snapshot
	alice.typeInto("#composer", "pong\n")
	alice.waitMessage("alice", "pong")
	bob.waitText(`li.connection[data-user="alice"] .unread`, "1")
	bob.waitVisible(`li.connection[data-user="alice"] .unread`)

	// alice hides the DM: back on Connections, bob's row has no preview,
	// after a reload too.
	alice.click("#hide")
	alice.waitPath("/connections")
	alice.waitFor(`ul.connections[data-inbox="ready"]`)
	alice.waitText(conv+" .last", "")
	alice.do("reloading", chromedp.Reload())
	alice.waitFor(`ul.connections[data-inbox="ready"]`)
	if got := alice.text(conv + " .last"); got != "" {
		t.Errorf("the hidden DM still previews %q", got)
	}
	// The hide is alice's alone: bob's preview stays.
	bob.waitText(`li.connection[data-user="alice"] .last`, "Alice: pong")

	// bob's next message brings it back, still muted.
	bob.navigate("/chat/alice")
	bob.waitFor(`#chat[data-state="ready"]`)
	bob.typeInto("#composer", "still there?\n")
	alice.waitText(conv+" .last", "Bob: still there?")
	alice.waitVisible(conv + " .muted-label")
	alice.waitHidden(conv + " .unread")
	alice.navigate("/chat/bob")
	alice.waitFor(`#chat[data-state="ready"]`)
	alice.waitFor(`#hide[data-hidden="false"]`)
}
