package pgtest

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Terminate makes the server at dsn end every connection of the
// application named (pg_terminate_backend), but the one it asks on.
func Terminate(dsn, application string) error {
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
