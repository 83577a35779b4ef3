package pgstore

import (
	"context"
	"embed"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parlorhq/parlor/internal/pgutil"
)

// The schema's migrations: migrations/NNNN_name.sql, numbered from 1
// without gaps. A migration, once released, never changes: the next
// change is the next file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// lockOwner names this store's advisory lock (pgutil.LockKey): it
// differs from the games store's.
const lockOwner = "chat/pgstore"

// migrations returns the embedded migrations in version order.
func migrations() ([]pgutil.Migration, error) {
	return pgutil.Migrations(migrationFiles, "migrations/*.sql")
}

// migrate brings schema up to the newest embedded migration and returns
// the store's epoch, storing epoch as it if the schema has none yet. It
// runs in one transaction holding an advisory lock, so stores starting at
// once take turns: the first applies the migrations, the others find them
// applied. A schema newer than this build is refused.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema, epoch string) (string, error) {
	list, err := migrations()
	if err != nil {
		return "", err
	}
	err = pgutil.Migrate(ctx, pool, lockOwner, schema, list, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO store (key, value) VALUES ('epoch', $1) ON CONFLICT (key) DO NOTHING", epoch); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "SELECT value FROM store WHERE key = 'epoch'").Scan(&epoch)
	})
	if err != nil {
		return "", err
	}
	return epoch, nil
}
