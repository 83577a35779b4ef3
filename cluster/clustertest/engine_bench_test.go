package clustertest

import (
	"context"
	"fmt"
	"testing"

	"github.com/parlorhq/parlor/client/chatclient"
)

// BenchmarkChatSendAck measures a chat send's acknowledgement as a client
// sees it, one send in flight: on the room's owner ("local"), and from a
// member on another node, forwarded to the owner with the ack coming back
// on the room's subject ("remote"). ns/op is the ack latency.
func BenchmarkChatSendAck(b *testing.B) {
	for _, where := range []string{"local", "remote"} {
		b.Run(where, func(b *testing.B) {
			ns := StartServer(b)
			st := newStores()
			opts := nodeOptions{unlimited: true}
			a := startNode(b, "a", []string{ns.URL()}, st, opts)
			nb := startNode(b, "b", []string{ns.URL()}, st, opts)
			owner, err := chatclient.DM(context.Background(), a.dial("alice"), "bob")
			if err != nil {
				b.Fatal(err)
			}
			cv := owner
			if where == "remote" {
				if cv, err = chatclient.DM(context.Background(), nb.dial("bob"), "alice"); err != nil {
					b.Fatal(err)
				}
			}
			i := 0
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				i++
				if _, err := cv.Send(context.Background(), fmt.Sprint("m", i)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
