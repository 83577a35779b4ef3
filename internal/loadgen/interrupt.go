package loadgen

import (
	"context"
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
