package engine_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives the tests: every
// test shuts its engine down and closes its server and clients.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
