// Command parlor-proxy is a small round-robin reverse proxy for trying
// Parlor on several nodes on one machine: each HTTP request, WebSocket
// upgrades included, goes to the next backend in turn, with no affinity
// at all, so a client's reconnect lands on any node. It is the load
// balancer of scripts/cluster.sh and of the cluster fault tests; in
// production use a real one (docs/deploy.md, docs/cluster.md).
//
// A backend that refuses the connection (a node that died or restarts) is
// skipped for -down and the request goes to the next one, so clients
// reconnect through the proxy to the nodes that remain. A request whose
// connection was made and then failed is answered 502, never sent twice;
// so is one whose backend sent no response headers within -answer (5 s: a
// paused node takes connections but never answers), and that backend is
// skipped for -down too.
// The Host header of the client's request is passed on unchanged, so that
// the nodes' same-origin check sees the address the browser used; the
// proxy adds X-Forwarded-For and X-Forwarded-Proto.
//
// When it listens it prints one line to stdout:
//
//	parlor-proxy listening 127.0.0.1:8080
//
//	go run ./cmd/parlor-proxy -addr 127.0.0.1:8080 \
//	    -backend 127.0.0.1:8081 -backend 127.0.0.1:8082 -backend 127.0.0.1:8083
//
// SIGINT or SIGTERM stops it: it stops listening, closes the proxied
// WebSockets and exits.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "parlor-proxy:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "parlor-proxy:", err)
		os.Exit(1)
	}
}
