package engine_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
)

func TestSmoke(t *testing.T) {
	e, err := engine.New(engine.Config{
		Authenticate: func(r *http.Request) (string, error) { return r.URL.Query().Get("user"), nil },
		Secret:       []byte("k"),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.Register(echo.Module{})
	srv := httptest.NewServer(e)
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/?user="
	ctx := context.Background()
	a, err := client.Dial(ctx, url+"alice", client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := client.Dial(ctx, url+"bob", client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ja, err := a.Join(ctx, echo.Kind, echo.JoinParams{Name: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Join(ctx, echo.Kind, echo.JoinParams{Name: "x"}); err != nil {
		t.Fatal(err)
	}
	rep, err := a.Send(ctx, ja.Room, "say", echo.SayData{Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("reply %x", rep.Data)
	select {
	case ev := <-b.Events():
		var s echo.Said
		ev.Decode(&s)
		t.Logf("bob got %+v seq %d", s, ev.Seq)
	case <-time.After(2 * time.Second):
		t.Fatal("timeout")
	}
	a.Close()
	b.Close()
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := e.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
}
