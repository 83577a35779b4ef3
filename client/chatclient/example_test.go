package chatclient_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/client/chatclient"
	"github.com/parlorhq/parlor/engine"
)

// Two users talk in their direct conversation.
func ExampleDM() {
	e, _ := engine.New(engine.Config{
		Authenticate: func(r *http.Request) (string, error) { return r.Header.Get("X-Demo-User"), nil },
		Secret:       []byte("example secret"),
	})
	_ = chat.New(chat.Config{}).Register(e)
	srv := httptest.NewServer(e)
	defer srv.Close()
	defer e.Shutdown(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	dial := func(user string) *client.Client {
		c, _ := client.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), client.Options{
			Header: http.Header{"X-Demo-User": {user}},
		})
		return c
	}
	ada, bob := dial("ada"), dial("bob")
	defer ada.Close()
	defer bob.Close()

	toBob, err := chatclient.DM(ctx, ada, "bob")
	if err != nil {
		fmt.Println(err)
		return
	}
	toAda, err := chatclient.DM(ctx, bob, "ada")
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := toBob.Send(ctx, "lunch at noon?"); err != nil {
		fmt.Println(err)
		return
	}
	m, _ := toAda.NextMessage(ctx)
	fmt.Printf("%s to bob: %s (seq %d)\n", m.From, m.Text, m.Seq)
	// Output: ada to bob: lunch at noon? (seq 1)
}
