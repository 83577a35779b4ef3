package engine_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/engine"
	"go.uber.org/zap"
)

// childEnv names the engine configuration a re-executed test binary
// builds (see TestDefaultLogger).
const childEnv = "PARLOR_ENGINE_LOG_CHILD"

// TestDefaultLogger runs engine.New in a child process, with its standard
// error captured, the way a host runs it: with no Logger the warning about
// the missing Secret reaches standard error as a JSON line; zap.NewNop()
// silences it.
func TestDefaultLogger(t *testing.T) {
	if mode := os.Getenv(childEnv); mode != "" {
		cfg := engine.Config{Authenticate: testAuth}
		if mode == "nop" {
			cfg.Logger = zap.NewNop()
		}
		if _, err := engine.New(cfg); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, mode := range []string{"default", "nop"} {
		t.Run(mode, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestDefaultLogger$", "-test.count=1")
			cmd.Env = append(os.Environ(), childEnv+"="+mode)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("child: %v\n%s", err, stderr.String())
			}
			var warning map[string]any
			for _, line := range strings.Split(stderr.String(), "\n") {
				if strings.Contains(line, "no Config.Secret set") {
					if err := json.Unmarshal([]byte(line), &warning); err != nil {
						t.Fatalf("warning is not a JSON line: %q", line)
					}
				}
			}
			switch {
			case mode == "default" && (warning == nil || warning["level"] != "warn" || warning["logger"] != "parlor"):
				t.Fatalf("no parlor warning on stderr: %q", stderr.String())
			case mode == "nop" && warning != nil:
				t.Fatalf("warning despite zap.NewNop(): %v", warning)
			}
		})
	}
}
