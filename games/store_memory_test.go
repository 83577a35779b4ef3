package games_test

import (
	"testing"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) games.Store { return games.NewMemoryStore() })
}
