package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/parlorhq/parlor/internal/loadgen"
)

// The load commands parlor-bench runs.
const (
	toolLoad = "parlor-load"
	toolChat = "parlor-chatload"
	toolGame = "parlor-gameload"
)

// buildTools builds the three load commands into dir with go build; it
// runs in the module's source tree.
func buildTools(dir string) error {
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, t := range []string{toolLoad, toolChat, toolGame} {
		args = append(args, "github.com/parlorhq/parlor/cmd/"+t)
	}
	cmd := exec.Command("go", args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build of the load commands (run parlor-bench in the module, or pass -bin): %w", err)
	}
	return nil
}

// toolResult is the part of a load command's -json output parlor-bench
// keeps.
type toolResult struct {
	loadgen.Result
	OtherCores float64 `json:"other_cores"`
}

// runTool runs the load command tool from bin with args and -json, and
// returns its result. Its progress goes to stderr; its report is shown
// only if it fails. A run that fails after writing its result (a missing
// delivery, a failed game) still counts, with a warning.
func runTool(bin, tool string, args ...string) (toolResult, error) {
	f, err := os.CreateTemp("", tool+"-*.json")
	if err != nil {
		return toolResult{}, err
	}
	path := f.Name()
	_ = f.Close()
	defer os.Remove(path)
	args = append(args, "-json", path)
	fmt.Fprintf(os.Stderr, "$ %s %s\n", tool, strings.Join(redactDSN(args[:len(args)-2]), " "))
	var out bytes.Buffer
	cmd := exec.Command(filepath.Join(bin, tool), args...)
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	runErr := cmd.Run()
	if runErr != nil {
		_, _ = os.Stderr.Write(out.Bytes())
	}
	var res toolResult
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &res)
	}
	switch {
	case err != nil && runErr != nil:
		return res, fmt.Errorf("%s: %w", tool, runErr)
	case err != nil:
		return res, fmt.Errorf("%s -json: %w", tool, err)
	case runErr != nil:
		fmt.Fprintf(os.Stderr, "parlor-bench: WARNING: %s: %v; keeping its result\n", tool, runErr)
	}
	return res, nil
}

// redactDSN returns args with the value of every -dsn flag (which holds a
// database password) replaced by "<dsn>", for the command lines printed
// and written to results.json.
func redactDSN(args []string) []string {
	out := slices.Clone(args)
	for i, a := range out {
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "dsn" {
			continue
		}
		if hasValue {
			out[i] = a[:strings.IndexByte(a, '=')+1] + "<dsn>"
		} else if i+1 < len(out) {
			out[i+1] = "<dsn>"
		}
	}
	return out
}
