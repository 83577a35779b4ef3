package clustertest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client/chatclient"
)

// nextWhere reads cv's updates until one satisfies match.
func nextWhere(t testing.TB, cv *chatclient.Conversation, what string, match func(chatclient.Update) bool) chatclient.Update {
	t.Helper()
	c := ctx(t)
	for {
		u, err := cv.Next(c)
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if match(u) {
			return u
		}
	}
}

func texts(ms []chat.Message) []string {
	var out []string
	for _, m := range ms {
		if m.Kind == chat.KindMessage {
			out = append(out, fmt.Sprintf("%d:%s:%s", m.Seq, m.From, m.Text))
		}
	}
	return out
}

// Two users on different nodes chat in a direct conversation: the room
// runs on the first joiner's node only, and messages, typing, receipts and
// history agree on both sides.
func TestClusterDirectConversationAcrossNodes(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{ns.URL()}, st, nodeOptions{})

	alice, bob := a.dial("alice"), b.dial("bob")
	cvA, err := chatclient.DM(ctx(t), alice, "bob")
	if err != nil {
		t.Fatal(err)
	}
	cvB, err := chatclient.DM(ctx(t), bob, "alice")
	if err != nil {
		t.Fatal(err)
	}
	id := cvA.ID()
	if cvB.ID() != id {
		t.Fatalf("room ids differ: %s, %s", id, cvB.ID())
	}
	if !a.owns(id) || b.owns(id) {
		t.Fatalf("room owned by a: %v, by b: %v; want a only", a.owns(id), b.owns(id))
	}

	var sent []string
	for i := range 5 {
		cv, from := cvA, "alice"
		if i%2 == 1 {
			cv, from = cvB, "bob"
		}
		m, err := cv.Send(ctx(t), fmt.Sprint("m", i))
		if err != nil {
			t.Fatalf("send %d from %s: %v", i, from, err)
		}
		sent = append(sent, fmt.Sprintf("%d:%s:m%d", m.Seq, from, i))
	}
	for _, cv := range []*chatclient.Conversation{cvA, cvB} {
		var got []string
		for len(got) < len(sent) {
			m, err := cv.NextMessage(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%d:%s:%s", m.Seq, m.From, m.Text))
		}
		if !slices.Equal(got, sent) {
			t.Fatalf("events %v, want %v", got, sent)
		}
	}

	// Typing from the remote member reaches the owner's side, and from
	// the owner's side the remote member; so does a receipt.
	if err := cvB.Typing(ctx(t), true); err != nil {
		t.Fatal(err)
	}
	u := nextWhere(t, cvA, "bob typing", func(u chatclient.Update) bool { return u.Typing != nil })
	if u.Typing.User != "bob" || !u.Typing.Typing {
		t.Fatalf("typing %+v, want bob typing", *u.Typing)
	}
	if err := cvA.Typing(ctx(t), true); err != nil {
		t.Fatal(err)
	}
	u = nextWhere(t, cvB, "alice typing", func(u chatclient.Update) bool { return u.Typing != nil && u.Typing.User == "alice" })
	if !u.Typing.Typing {
		t.Fatalf("typing %+v, want alice typing", *u.Typing)
	}
	if _, err := cvB.MarkRead(ctx(t), 5); err != nil {
		t.Fatal(err)
	}
	u = nextWhere(t, cvA, "bob's receipt", func(u chatclient.Update) bool { return u.Read != nil })
	if u.Read.User != "bob" || u.Read.Seq != 5 {
		t.Fatalf("receipt %+v, want bob at 5", *u.Read)
	}

	// Each session holds a local and a remote room at once: bob's group
	// runs on b, where alice is the remote member.
	gB, err := chatclient.CreateGroup(ctx(t), bob, "pair", "alice")
	if err != nil {
		t.Fatal(err)
	}
	gA, err := chatclient.Group(ctx(t), alice, gB.ID())
	if err != nil {
		t.Fatal(err)
	}
	if !b.owns(gB.ID()) || a.owns(gB.ID()) {
		t.Fatal("the group does not run on b alone")
	}
	if _, err := gA.Send(ctx(t), "in the group"); err != nil {
		t.Fatal(err)
	}
	if m, err := gB.NextMessage(ctx(t)); err != nil || m.Text != "in the group" || m.From != "alice" {
		t.Fatalf("group message %+v, %v", m, err)
	}

	pageA, err := cvA.History(ctx(t), 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	pageB, err := cvB.History(ctx(t), 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(texts(pageA.Messages), sent) || !slices.Equal(texts(pageB.Messages), sent) {
		t.Fatalf("history: alice %v, bob %v, want %v", texts(pageA.Messages), texts(pageB.Messages), sent)
	}
}

// A group with members on three nodes: every member sees the same
// messages in the same order, whoever sent them and wherever the room runs.
func TestClusterGroupAcrossNodes(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	nodes := []*node{
		startNode(t, "a", []string{ns.URL()}, st, nodeOptions{}),
		startNode(t, "b", []string{ns.URL()}, st, nodeOptions{}),
		startNode(t, "c", []string{ns.URL()}, st, nodeOptions{}),
	}
	users := []string{"ann", "ben", "cat"}
	convs := make([]*chatclient.Conversation, 3)
	cv, err := chatclient.CreateGroup(ctx(t), nodes[0].dial("ann"), "trio", "ben", "cat")
	if err != nil {
		t.Fatal(err)
	}
	convs[0] = cv
	for i := 1; i < 3; i++ {
		if convs[i], err = chatclient.Group(ctx(t), nodes[i].dial(users[i]), cv.ID()); err != nil {
			t.Fatalf("%s joins: %v", users[i], err)
		}
	}
	// Everyone sends at once.
	const each = 10
	errs := make(chan error, 3)
	for i := range 3 {
		go func() {
			for k := range each {
				if _, err := convs[i].Send(context.Background(), fmt.Sprintf("%s-%d", users[i], k)); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var logs [3][]string
	for i := range 3 {
		for len(logs[i]) < 3*each {
			m, err := convs[i].NextMessage(ctx(t))
			if err != nil {
				t.Fatalf("%s: %v", users[i], err)
			}
			logs[i] = append(logs[i], fmt.Sprintf("%d:%s:%s", m.Seq, m.From, m.Text))
		}
	}
	for i := 1; i < 3; i++ {
		if !slices.Equal(logs[i], logs[0]) {
			t.Fatalf("%s saw %v\n%s saw %v", users[i], logs[i], users[0], logs[0])
		}
	}
	page, err := convs[2].History(ctx(t), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if got := texts(page.Messages); !slices.Equal(got, logs[0]) {
		t.Fatalf("history %v, want %v", got, logs[0])
	}
}

// A member's node dies: the owner, which can no longer hear from it,
// takes that node's sessions out of its rooms as disconnected, and the
// members on the owner's side are untouched.
func TestClusterMemberNodeKilled(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{ns.URL()}, st, nodeOptions{})
	cvA, err := chatclient.DM(ctx(t), a.dial("alice"), "bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chatclient.DM(ctx(t), b.dial("bob"), "alice"); err != nil {
		t.Fatal(err)
	}
	r, ok := a.srv.Engine.Room(cvA.ID())
	if !ok {
		t.Fatal("the room does not run on a")
	}
	member := func(user string) bool {
		var in bool
		if err := r.Do(ctx(t), func() { in = r.IsMember(user) }); err != nil {
			t.Fatal(err)
		}
		return in
	}
	if !member("bob") {
		t.Fatal("bob is not a member")
	}
	b.kill()
	eventually(t, "bob out of the room", func() bool { return !member("bob") })
	if !member("alice") {
		t.Fatal("alice left with bob's node")
	}
	if _, err := cvA.Send(ctx(t), "still here"); err != nil {
		t.Fatal(err)
	}
}
