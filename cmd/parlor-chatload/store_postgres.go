package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/pgstore"
)

// postgresTimeout bounds opening the store and dropping its schema.
const postgresTimeout = 30 * time.Second

// openPostgres opens -store postgres: a pgstore on the database named by
// -dsn, in a new schema (parlor_chatload_<random>), so that every run
// starts empty, as with a new bbolt file. close closes the store and
// drops the schema.
func openPostgres(cfg config) (st chat.Store, close func(), err error) {
	if cfg.dsn == "" {
		return nil, nil, errors.New("-store postgres needs -dsn")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "parlor_chatload_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), postgresTimeout)
	defer cancel()
	pg, err := pgstore.Open(ctx, cfg.dsn, pgstore.Options{Schema: schema})
	if err != nil {
		_ = dropSchema(cfg.dsn, schema) // the migration may have created it
		return nil, nil, err
	}
	return pg, func() {
		_ = pg.Close()
		if err := dropSchema(cfg.dsn, schema); err != nil {
			fmt.Fprintf(os.Stderr, "parlor-chatload: drop schema %s: %v\n", schema, err)
		}
	}, nil
}

// dropSchema drops schema and everything in it.
func dropSchema(dsn, schema string) error {
	ctx, cancel := context.WithTimeout(context.Background(), postgresTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	return err
}
