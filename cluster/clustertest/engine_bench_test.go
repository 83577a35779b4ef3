package clustertest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client/chatclient"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/parlortest"
)

// BenchmarkChatSendAck measures a chat send's acknowledgement as a client
// sees it, one send in flight: on an engine with no cluster ("single"),
// on the room's owner in a cluster ("local"), and from a member on
// another node, forwarded to the owner with the ack coming back on the
// room's subject ("remote"). ns/op is the ack latency. The cluster cases
// also report nats-rtt-µs, the median round trip from a node to its NATS
// server: a local send's ack does not wait on the cluster, so "local"
// stays near "single", well under one such round trip more.
func BenchmarkChatSendAck(b *testing.B) {
	for _, where := range []string{"single", "local", "remote"} {
		b.Run(where, func(b *testing.B) {
			var cv *chatclient.Conversation
			var rtt time.Duration
			if where == "single" {
				srv := parlortest.Start(b, parlortest.Config{
					Modules: chat.New(chat.Config{Store: chat.NewMemoryStore(), MessageRate: -1}).Modules(),
					Engine:  engine.Config{RateLimit: -1, Logger: zaptest.NewLogger(b, zaptest.Level(zap.WarnLevel))},
				})
				var err error
				if cv, err = chatclient.DM(context.Background(), srv.DialOptions("alice", fastReconnect()), "bob"); err != nil {
					b.Fatal(err)
				}
			} else {
				ns := StartServer(b)
				st := newStores()
				opts := nodeOptions{unlimited: true, quiet: true}
				a := startNode(b, "a", []string{ns.URL()}, st, opts)
				nb := startNode(b, "b", []string{ns.URL()}, st, opts)
				var err error
				if cv, err = chatclient.DM(context.Background(), a.dial("alice"), "bob"); err != nil {
					b.Fatal(err)
				}
				if where == "remote" {
					if cv, err = chatclient.DM(context.Background(), nb.dial("bob"), "alice"); err != nil {
						b.Fatal(err)
					}
				}
				rtt = natsRTT(b, a.nc)
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
			if rtt > 0 {
				b.ReportMetric(float64(rtt.Nanoseconds())/1000, "nats-rtt-µs")
			}
		})
	}
}

// natsRTT returns the median of 101 round trips (a flush: PING, PONG)
// from nc to its server.
func natsRTT(b *testing.B, nc *nats.Conn) time.Duration {
	b.Helper()
	rtts := make([]time.Duration, 101)
	for i := range rtts {
		start := time.Now()
		if err := nc.Flush(); err != nil {
			b.Fatal(err)
		}
		rtts[i] = time.Since(start)
	}
	slices.Sort(rtts)
	return rtts[len(rtts)/2]
}

// BenchmarkChatSendAckRate measures the ack latency of chat sends at
// 1,000 per second in all over 100 direct conversations, open loop
// (latency counts from each send's due time), for 3 s per iteration: the
// senders on node a, the conversations' owner on a ("local") or on b
// ("remote"). Both nodes and the NATS server share this process, so the
// difference is the forwarded path itself, without other processes to
// wait for. It reports p50-ms and p99-ms.
func BenchmarkChatSendAckRate(b *testing.B) {
	const pairs, rate, window = 100, 1000, 3 * time.Second
	for _, where := range []string{"local", "remote"} {
		b.Run(where, func(b *testing.B) {
			ns := StartServer(b)
			st := newStores()
			opts := nodeOptions{unlimited: true, quiet: true}
			a := startNode(b, "a", []string{ns.URL()}, st, opts)
			nb := startNode(b, "b", []string{ns.URL()}, st, opts)
			owner := a
			if where == "remote" {
				owner = nb
			}
			convs := make([]*chatclient.Conversation, pairs)
			for k := range convs {
				s, p := fmt.Sprint("s", k), fmt.Sprint("p", k)
				if _, err := chatclient.DM(context.Background(), owner.dial(p), s); err != nil {
					b.Fatal(err)
				}
				cv, err := chatclient.DM(context.Background(), a.dial(s), p)
				if err != nil {
					b.Fatal(err)
				}
				convs[k] = cv
			}
			interval := time.Duration(pairs) * time.Second / rate
			b.ResetTimer()
			for range b.N {
				var mu sync.Mutex
				lat := make([]time.Duration, 0, rate*int(window/time.Second))
				start := time.Now()
				var wg sync.WaitGroup
				for k, cv := range convs {
					wg.Go(func() {
						var sends sync.WaitGroup
						for i := 0; ; i++ {
							due := start.Add(time.Duration(i)*interval + time.Duration(k)*interval/pairs)
							if due.Sub(start) >= window {
								break
							}
							time.Sleep(time.Until(due))
							sends.Go(func() {
								if _, err := cv.Send(context.Background(), "m"); err != nil {
									b.Error(err)
									return
								}
								d := time.Since(due)
								mu.Lock()
								lat = append(lat, d)
								mu.Unlock()
							})
						}
						sends.Wait()
					})
				}
				wg.Wait()
				slices.Sort(lat)
				if len(lat) == 0 {
					b.Fatal("no send acked")
				}
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			}
		})
	}
}

// BenchmarkChatSendBurst measures a burst: one client sends 20 messages
// at once and ns/op is the time until the last is acknowledged, with the
// conversation's owner on the sender's node ("local") or another
// ("remote"). A member's node forwards a session's sends without waiting
// for the owner's answer to each, so a remote burst costs about one round
// trip more than a local one, not one per send.
func BenchmarkChatSendBurst(b *testing.B) {
	const burst = 20
	for _, where := range []string{"local", "remote"} {
		b.Run(where, func(b *testing.B) {
			ns := StartServer(b)
			st := newStores()
			opts := nodeOptions{unlimited: true, quiet: true}
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
			b.ResetTimer()
			for b.Loop() {
				var wg sync.WaitGroup
				for range burst {
					wg.Go(func() {
						if _, err := cv.Send(context.Background(), "m"); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
			}
		})
	}
}
