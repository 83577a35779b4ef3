package pgstore_test

import (
	"context"
	"log"
	"os"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/pgstore"
)

// Open a store on the database named by $DATABASE_URL and give it to the
// chat module; every node of a site opens its own on the same database.
func ExampleOpen() {
	ctx := context.Background()
	store, err := pgstore.Open(ctx, os.Getenv("DATABASE_URL"), pgstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	c := chat.New(chat.Config{Store: store})
	_ = c.Modules() // register these with the engine
}
