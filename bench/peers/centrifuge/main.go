// Command centrifuge is the centrifuge peer of the benchmark: a
// github.com/centrifugal/centrifuge node with its default configuration
// and in-memory broker, serving the JSON protocol over WebSocket. Every
// loopback client is let in as user "bench" and may subscribe and publish
// to any channel; a publication goes to every subscriber, the publisher
// included.
package main

import (
	"context"
	"flag"
	"log"
	"net/http"

	"github.com/centrifugal/centrifuge"

	"github.com/parlorhq/parlor/bench/peers/internal/serve"
)

func main() {
	flag.Parse()
	node, err := centrifuge.New(centrifuge.Config{})
	if err != nil {
		log.Fatal(err)
	}
	node.OnConnecting(func(context.Context, centrifuge.ConnectEvent) (centrifuge.ConnectReply, error) {
		// Trivial authentication: the benchmark runs on loopback only.
		return centrifuge.ConnectReply{Credentials: &centrifuge.Credentials{UserID: "bench"}}, nil
	})
	node.OnConnect(func(c *centrifuge.Client) {
		c.OnSubscribe(func(_ centrifuge.SubscribeEvent, cb centrifuge.SubscribeCallback) {
			cb(centrifuge.SubscribeReply{}, nil)
		})
		c.OnPublish(func(_ centrifuge.PublishEvent, cb centrifuge.PublishCallback) {
			cb(centrifuge.PublishReply{}, nil)
		})
	})
	if err := node.Run(); err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/connection/websocket", centrifuge.NewWebsocketHandler(node, centrifuge.WebsocketConfig{
		// The generator sends no Origin header; nothing but loopback
		// clients reach this server.
		CheckOrigin: func(*http.Request) bool { return true },
	}))
	if err := serve.Run(mux, "/connection/websocket"); err != nil {
		log.Fatal(err)
	}
	_ = node.Shutdown(context.Background())
}
