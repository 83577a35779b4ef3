package loadgen

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Interruptible runs fn with a context that ends on SIGINT or SIGTERM, so
// that a command stops its load and still reports and cleans up. Unless
// cpuProfile is empty, it profiles fn into that file (StartCPUProfile).
func Interruptible(cpuProfile string, fn func(ctx context.Context) error) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cpuProfile != "" {
		stopProfile, err := StartCPUProfile(cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	return fn(ctx)
}

// WaitParent blocks a server started as a load tool's child process
// (-serve) until its parent closes the child's standard input, which it
// does on exit or when it dies, or until ctx ends.
func WaitParent(ctx context.Context) {
	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	select {
	case <-stdinClosed:
	case <-ctx.Done():
	}
}
