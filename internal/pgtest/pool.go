package pgtest

import (
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// CheckPoolBound fails the test unless pool is bounded to max
// connections, never opened more, and made at least one caller wait for
// a connection: what a test that runs more callers than max expects.
func CheckPoolBound(t testing.TB, pool *pgxpool.Pool, max int32) {
	t.Helper()
	if st := pool.Stat(); st.MaxConns() != max || st.TotalConns() > max || st.EmptyAcquireCount() == 0 {
		t.Fatalf("pool: max %d, total %d, waits for a connection %d; want max %d and waits",
			st.MaxConns(), st.TotalConns(), st.EmptyAcquireCount(), max)
	}
}
