package userchannel_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/client/userchannel"
	"github.com/parlorhq/parlor/engine"
)

// Ada watches Bob, who comes online, and gets a notification from the
// server.
func ExampleChannel_Next() {
	e, _ := engine.New(engine.Config{
		Authenticate:     func(r *http.Request) (string, error) { return r.Header.Get("X-Demo-User"), nil },
		Secret:           []byte("example secret"),
		PresenceCoalesce: 10 * time.Millisecond,
	})
	srv := httptest.NewServer(e)
	defer srv.Close()
	defer e.Shutdown(context.Background())
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dial := func(user string) *client.Client {
		c, err := client.Dial(ctx, url, client.Options{Header: http.Header{"X-Demo-User": {user}}})
		if err != nil {
			panic(err)
		}
		return c
	}

	ada := dial("ada")
	defer ada.Close()
	ch, err := userchannel.Join(ctx, ada)
	if err != nil {
		panic(err)
	}
	statuses, _ := ch.Watch(ctx, "bob")
	fmt.Println(statuses[0].User, statuses[0].Status)

	bob := dial("bob")
	defer bob.Close()
	u, _ := ch.Next(ctx)
	fmt.Println(u.Presence.User, u.Presence.Status)

	_ = e.Notify("ada", "challenge.offered", map[string]string{"from": "bob"})
	u, _ = ch.Next(ctx)
	var offer map[string]string
	_ = u.Event.Decode(&offer)
	fmt.Println(u.Event.Name, offer["from"])
	// Output:
	// bob offline
	// bob online
	// challenge.offered bob
}
