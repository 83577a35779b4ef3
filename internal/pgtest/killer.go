package pgtest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Killer makes the test server end the connections of one application
// (pg_terminate_backend) again and again, as a failing network or an
// administrator would, until stopped.
type Killer struct {
	stop  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
	kills atomic.Int64
}

// AppDSN returns the test database's DSN with application as its
// application_name, so that a Killer can tell its connections.
func AppDSN(t testing.TB, application string) string {
	t.Helper()
	return DSNWith(t, "application_name", application)
}

// StartKiller starts a Killer that ends every connection of application
// (opened with AppDSN) each interval, until Stop or the end of the test.
func StartKiller(t testing.TB, application string, interval time.Duration) *Killer {
	t.Helper()
	k := &Killer{stop: make(chan struct{})}
	admin := DSN(t)
	k.wg.Go(func() {
		for {
			select {
			case <-k.stop:
				return
			case <-time.After(interval):
			}
			if err := terminate(admin, application); err != nil {
				t.Error(err)
				return
			}
			k.kills.Add(1)
		}
	})
	t.Cleanup(func() { k.Stop() })
	return k
}

// Stop stops the killer, waits for it, and returns how many times it
// ended the application's connections. It is safe to call more than
// once.
func (k *Killer) Stop() int64 {
	k.once.Do(func() { close(k.stop) })
	k.wg.Wait()
	return k.kills.Load()
}

// terminate makes the server at dsn end every connection of the
// application named, but the one it asks on.
func terminate(dsn, application string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = $1 AND pid <> pg_backend_pid()`, application)
	return err
}
