package pgstore_test

import (
	"context"
	"log"
	"os"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/chess"
	"github.com/parlorhq/parlor/games/pgstore"
)

// Open a store on the database named by $DATABASE_URL and give it to the
// game modules: their matches survive restarts, and any node of a site
// that opens its own store on the same database can rebuild them.
func ExampleOpen() {
	ctx := context.Background()
	store, err := pgstore.Open(ctx, os.Getenv("DATABASE_URL"), pgstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	m := games.NewModule(chess.Game{}, games.Config{Store: store})
	history := games.NewHistory(store, m) // "my games" pages, with PGN
	_, _ = m, history                     // register m with the engine
}
