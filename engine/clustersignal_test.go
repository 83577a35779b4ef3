package engine_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

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
