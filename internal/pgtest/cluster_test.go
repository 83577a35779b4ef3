package pgtest

import (
	"os"
	"testing"
)

func TestScriptPathFindsTheScript(t *testing.T) {
	if _, err := os.Stat(scriptPath(t)); err != nil {
		t.Fatalf("scripts/postgres.sh: %v", err)
	}
}
