package main

import (
	"context"
	"sync"
)

// connectAll dials n peers, at most conc at a time; peer i joins
// roomOf(i). On error it closes the peers it opened.
func connectAll(ctx context.Context, pr proto, base string, n, conc int, roomOf func(int) string, sk *sink) ([]*peer, error) {
	peers := make([]*peer, n)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	next := make(chan int)
	for range conc {
		wg.Go(func() {
			for i := range next {
				p, err := dialPeer(ctx, pr, base, i, roomOf(i), sk)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
					continue
				}
				peers[i] = p
			}
		})
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		closeAll(peers)
		return nil, firstErr
	}
	return peers, nil
}

// closeAll closes every open peer, several at a time.
func closeAll(peers []*peer) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, p := range peers {
		if p == nil {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			p.close()
			<-sem
		})
	}
	wg.Wait()
}
