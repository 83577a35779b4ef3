package chatclient_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/client/chatclient"
)

// TestNextMessageReportsMissed: a reader whose room drops events (a full
// buffer) gets ErrMissed from NextMessage, rather than the next message
// after a silent gap: every message either reaches it in order or falls
// in a gap it was told of.
func TestNextMessageReportsMissed(t *testing.T) {
	srv := start(t)
	alice, err := chatclient.DM(ctx(t), srv.Dial("alice"), "bob")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := chatclient.DM(ctx(t), srv.DialOptions("bob", client.Options{RoomBuffer: 1}), "alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"one", "two", "three", "four"} {
		if _, err := alice.Send(ctx(t), s); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	missed := false
	read := func() {
		t.Helper()
		m, err := bob.NextMessage(ctx(t))
		switch {
		case errors.Is(err, chatclient.ErrMissed):
			missed = true
		case err != nil:
			t.Fatal(err)
		default:
			seen = append(seen, m.Text)
		}
	}
	read()
	if _, err := alice.Send(ctx(t), "five"); err != nil {
		t.Fatal(err)
	}
	// Until five arrives, or a gap is reported (five may be in it).
	for !slices.Contains(seen, "five") && !missed {
		read()
	}
	if !missed && !slices.Equal(seen, []string{"one", "two", "three", "four", "five"}) {
		t.Fatalf("NextMessage returned %v and reported no gap", seen)
	}
	if !missed {
		t.Fatal("a one-event buffer dropped nothing: the test needs a gap")
	}
}
