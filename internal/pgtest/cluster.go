package pgtest

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Cluster is a PostgreSQL server of the test's own, made with
// scripts/postgres.sh, that the test may stop and start.
type Cluster struct {
	t *testing.T
	// Dir is the cluster's folder.
	Dir string
	// DSN names the cluster's database.
	DSN string
}

// StartCluster starts a private cluster and removes it when the test
// ends. Like every PostgreSQL test, it runs only with
// $PARLOR_TEST_POSTGRES set (and fails in CI without it): that says
// PostgreSQL is installed.
func StartCluster(t *testing.T) *Cluster {
	t.Helper()
	DSN(t)
	c := &Cluster{t: t}
	sc := bufio.NewScanner(strings.NewReader(script(t, "start")))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), DSNVar+"="); ok {
			c.DSN = v
		}
		if v, ok := strings.CutPrefix(sc.Text(), "PARLOR_PG_DIR="); ok {
			c.Dir = v
		}
	}
	if c.DSN == "" || c.Dir == "" {
		t.Fatal("postgres.sh start printed no DSN or folder")
	}
	t.Cleanup(func() { script(t, "stop", c.Dir) })
	return c
}

// Down stops the server (pg_ctl stop -m fast: it disconnects everyone).
func (c *Cluster) Down() { c.t.Helper(); script(c.t, "down", c.Dir) }

// Up starts it again on the same port and data.
func (c *Cluster) Up() { c.t.Helper(); script(c.t, "up", c.Dir) }

// script runs scripts/postgres.sh with args and returns its output.
func script(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("bash", append([]string{scriptPath(t)}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("postgres.sh %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// scriptPath finds scripts/postgres.sh in the module that holds the
// test's folder (go test runs a test in its package's folder).
func scriptPath(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "scripts", "postgres.sh")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}
