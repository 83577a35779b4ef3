package engine_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parlorhq/parlor/engine"
)

// On one node a signal is a call to the room's listener, and nothing
// else: no listener, a stopped one or a bad event name are reported.
func TestSignalOneNode(t *testing.T) {
	e, err := engine.New(engine.Config{Authenticate: func(*http.Request) (string, error) { return "u", nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = e.Shutdown(context.Background()) }()

	if err := e.Signal("r1", "ev", nil); !errors.Is(err, engine.ErrNoListener) {
		t.Fatalf("signal with no listener: %v, want ErrNoListener", err)
	}
	var got []string
	stop, err := e.Listen("r1", func(event string, data []byte) { got = append(got, event+":"+string(data)) })
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.Listen("r2", func(event string, _ []byte) { t.Errorf("r2 got %s", event) })
	if err != nil {
		t.Fatal(err)
	}
	defer other()
	for _, ev := range []string{"a", "b"} {
		if err := e.Signal("r1", ev, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(got, ",") != "a:x,b:x" {
		t.Fatalf("listener got %v", got)
	}
	for _, bad := range []string{"", strings.Repeat("e", 65)} {
		if err := e.Signal("r1", bad, nil); !errors.Is(err, engine.ErrSignalEvent) {
			t.Fatalf("event %q: %v, want ErrSignalEvent", bad, err)
		}
	}
	stop()
	if err := e.Signal("r1", "c", nil); !errors.Is(err, engine.ErrNoListener) {
		t.Fatalf("signal after stop: %v, want ErrNoListener", err)
	}
	if len(got) != 2 {
		t.Fatalf("listener called after stop: %v", got)
	}
}

// On one node Ask calls the room's listener and returns its answer, given
// at once or later; with no listener it reports that nobody listened.
func TestAskOneNode(t *testing.T) {
	e, err := engine.New(engine.Config{Authenticate: func(*http.Request) (string, error) { return "u", nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = e.Shutdown(context.Background()) }()
	ctx := context.Background()

	if listened, err := e.Ask(ctx, "r1", "ev", nil); listened || err != nil {
		t.Fatalf("ask with no listener: %v, %v; want not listened", listened, err)
	}
	refused := errors.New("refused")
	stop, err := e.ListenAsk("r1", func(event string, data []byte, done func(error)) {
		switch event {
		case "now":
			done(nil)
		case "later":
			go done(refused)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if listened, err := e.Ask(ctx, "r1", "now", nil); !listened || err != nil {
		t.Fatalf("ask answered at once: %v, %v", listened, err)
	}
	if listened, err := e.Ask(ctx, "r1", "later", nil); !listened || !errors.Is(err, refused) {
		t.Fatalf("ask answered later: %v, %v; want the listener's error", listened, err)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if listened, err := e.Ask(short, "r1", "never", nil); !listened || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ask never answered: %v, %v; want the context's error", listened, err)
	}
	if _, err := e.Ask(ctx, "r1", "", nil); !errors.Is(err, engine.ErrSignalEvent) {
		t.Fatalf("ask with no event name: %v, want ErrSignalEvent", err)
	}
	stop()
	if listened, _ := e.Ask(ctx, "r1", "now", nil); listened {
		t.Fatal("ask after stop: listened")
	}
}
