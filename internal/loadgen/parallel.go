package loadgen

import (
	"context"
	"sync"
)

// Parallel runs step(ctx, i) for every i in [0, n), at most limit (at
// least 1) at a time, and returns the first error a step returned. After
// that error it starts no more steps and cancels the ctx of those that
// run. It returns ctx.Err() if ctx ended before every step had started
// and no step failed.
func Parallel(ctx context.Context, n, limit int, step func(ctx context.Context, i int) error) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	sem := make(chan struct{}, max(limit, 1))
	for i := 0; i < n && sctx.Err() == nil; i++ {
		select {
		case sem <- struct{}{}:
		case <-sctx.Done():
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := step(sctx, i); err != nil {
				once.Do(func() {
					first = err
					cancel()
				})
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}
