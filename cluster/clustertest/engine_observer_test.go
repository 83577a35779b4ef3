package clustertest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client/chatclient"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
)

// requestLog is an engine.Observer that records the kind and type of
// each request timed.
type requestLog struct {
	engine.NopObserver
	mu   sync.Mutex
	done []string
}

func (l *requestLog) RequestDone(kind string, t codec.Type, ok bool, _ time.Duration) {
	l.mu.Lock()
	l.done = append(l.done, kind+" "+t.String())
	l.mu.Unlock()
}

func (l *requestLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.done)
}

// TestClusterRequestKinds: a send and a leave to a room that another node
// owns are timed under the room's kind on the member's node, as on the
// owner's, not under "none" (a request that named no room).
func TestClusterRequestKinds(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	obs := &requestLog{}
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{ns.URL()}, st, nodeOptions{observer: obs})

	alice, bob := a.dial("alice"), b.dial("bob")
	if _, err := chatclient.DM(ctx(t), alice, "bob"); err != nil {
		t.Fatal(err)
	}
	cv, err := chatclient.DM(ctx(t), bob, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !a.owns(cv.ID()) {
		t.Fatal("the conversation does not run on a")
	}
	if _, err := cv.Send(ctx(t), "hi"); err != nil {
		t.Fatal(err)
	}
	if err := bob.Leave(ctx(t), cv.ID()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := obs.list()
		want := []string{chat.KindDM + " join", chat.KindDM + " send", chat.KindDM + " leave"}
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("requests timed on b: %q, want %q", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
