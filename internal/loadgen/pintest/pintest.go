// Package pintest runs a load tool's pinned run (-spawn -pin) in a test
// process of its own, for the tools' tests: the pin takes two CPUs for
// the process that asks for it, which must not be the test binary that
// runs the other tests.
//
// A tool's TestMain checks Dir and, when it is set, makes its pinned run
// there and exits; its test calls Run, which starts the test binary again
// with Dir set.
package pintest

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/internal/loadgen"
)

// Env names the folder of a pinned run: the test binary started with it
// set runs -spawn -pin there and exits.
const Env = "PARLOR_TEST_PIN_RUN"

// Dir returns the folder of the pinned run this process must make, or ""
// when it runs the tests.
func Dir() string { return os.Getenv(Env) }

// Run starts the test binary again with Env set to a new folder and waits
// for its pinned run. It returns the folder, for the run's results, and
// the run's output. On a machine without two CPUs to pin, the run must
// fail with loadgen.ErrPinCPUs: Run checks that and reports ok false.
// Any other failure of the run fails t.
func Run(t testing.TB) (dir string, out []byte, ok bool) {
	t.Helper()
	dir = t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), Env+"="+dir)
	out, err := cmd.CombinedOutput()
	if _, perr := loadgen.ChoosePins(); perr != nil {
		if err == nil || !strings.Contains(string(out), loadgen.ErrPinCPUs.Error()) {
			t.Fatalf("with %v: %v\n%s", perr, err, out)
		}
		return dir, out, false
	}
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return dir, out, true
}
