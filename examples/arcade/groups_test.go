package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/codec"
)

// TestGroupsOnlyWithConnections checks the arcade's policy for groups: a
// user may create a group only with connections and add only connections,
// and a refusal leaves the group unchanged for its members.
func TestGroupsOnlyWithConnections(t *testing.T) {
	ta := startArcade(t, "")
	ctx := ctx10s(t)
	alice := ta.dial(ta.login("alice"))
	bob := ta.dial(ta.login("bob"))

	// alice and dave are not connected.
	create := chat.GroupParams{Create: &chat.CreateGroup{Name: "Outsiders", Members: []string{"bob", "dave"}}}
	if _, err := alice.Join(ctx, chat.KindGroup, create); codeOf(err) != string(codec.CodeForbidden) {
		t.Errorf("alice creates a group with dave: %v, want forbidden", err)
	}

	g, err := alice.Join(ctx, chat.KindGroup, chat.GroupParams{Create: &chat.CreateGroup{Name: "Friends", Members: []string{"bob"}}})
	if err != nil {
		t.Fatalf("alice creates a group with bob: %v", err)
	}
	if _, err := alice.Send(ctx, g.Room, chat.OpAddMembers, chat.MembersRequest{Members: []string{"dave"}}); codeOf(err) != string(codec.CodeForbidden) {
		t.Errorf("alice adds dave: %v, want forbidden", err)
	}
	// bob, a bystander, still sees the group as it was.
	bj, err := bob.Join(ctx, chat.KindGroup, chat.GroupParams{ID: g.Room})
	if err != nil {
		t.Fatalf("bob opens the group: %v", err)
	}
	var snap chat.Snapshot
	if err := bj.Decode(&snap); err != nil {
		t.Fatal(err)
	}
	if snap.Group == nil || strings.Join(snap.Group.Members, ",") != "alice,bob" {
		t.Errorf("bob's snapshot has the group %+v, want the members alice and bob", snap.Group)
	}
}

// TestGroupPages checks the routes of the Groups and group pages: signed
// out they go to /login; signed in they render; a group id past
// maxGroupID is not found.
func TestGroupPages(t *testing.T) {
	ta := startArcade(t, "")
	for _, path := range []string{"/groups", "/groups/abc"} {
		resp := ta.do(http.MethodGet, path, nil, nil)
		readBody(t, resp)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
			t.Errorf("signed out, %s = %d to %q, want 303 to /login", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	alice := ta.login("alice")
	for path, want := range map[string]string{"/groups": `id="create-group"`, "/groups/abc": `"group":"abc"`} {
		resp := ta.do(http.MethodGet, path, alice, nil)
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("%s = %d, want 200 with %s", path, resp.StatusCode, want)
		}
	}
	for _, n := range []int{maxGroupID, maxGroupID + 1} {
		resp := ta.do(http.MethodGet, "/groups/"+strings.Repeat("a", n), alice, nil)
		readBody(t, resp)
		want := http.StatusOK
		if n > maxGroupID {
			want = http.StatusNotFound
		}
		if resp.StatusCode != want {
			t.Errorf("a group id of %d bytes = %d, want %d", n, resp.StatusCode, want)
		}
	}
}
