// Package serve holds what the peer servers share: a listener on a
// loopback address whose bound URL is printed on the first line of
// stdout (run.sh and the test read it), and a stop on SIGINT, SIGTERM or
// a closed stdin.
package serve

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Addr is the -addr flag every peer server takes.
var Addr = flag.String("addr", "127.0.0.1:0", "loopback address to listen on")

// Run serves h on *Addr and prints "ws://<bound address><path>" on stdout.
// It returns when the server is told to stop.
func Run(h http.Handler, path string) error {
	host, _, err := net.SplitHostPort(*Addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-addr %s: only loopback addresses", *Addr)
	}
	ln, err := net.Listen("tcp", *Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	fmt.Printf("ws://%s%s\n", ln.Addr(), path)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	case <-stdinClosed:
	}
	// Hijacked WebSocket connections are not the http.Server's to close;
	// the process exits right after.
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
