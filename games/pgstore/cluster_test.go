package pgstore

import (
	"bufio"
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
)

// cluster is a PostgreSQL server of the test's own, made with
// scripts/postgres.sh, that the test may stop and start.
type cluster struct {
	t        *testing.T
	dir, dsn string
}

// script runs scripts/postgres.sh with args and returns its output.
func script(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("bash", append([]string{filepath.Join("..", "..", "scripts", "postgres.sh")}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("postgres.sh %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// startCluster starts a private cluster and removes it when the test
// ends. Like every test here, it runs only with PARLOR_TEST_POSTGRES set
// (and fails in CI without it): that says PostgreSQL is installed.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	testDSN(t)
	c := &cluster{t: t}
	sc := bufio.NewScanner(strings.NewReader(script(t, "start")))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "PARLOR_TEST_POSTGRES="); ok {
			c.dsn = v
		}
		if v, ok := strings.CutPrefix(sc.Text(), "PARLOR_PG_DIR="); ok {
			c.dir = v
		}
	}
	if c.dsn == "" || c.dir == "" {
		t.Fatal("postgres.sh start printed no DSN or folder")
	}
	t.Cleanup(func() { script(t, "stop", c.dir) })
	return c
}

// down stops the server (pg_ctl stop -m fast: it disconnects everyone).
func (c *cluster) down() { c.t.Helper(); script(c.t, "down", c.dir) }

// up starts it again on the same port and data.
func (c *cluster) up() { c.t.Helper(); script(c.t, "up", c.dir) }

// isUnavailable reports whether err is ErrUnavailable, as clients see it,
// and no games error.
func isUnavailable(err error) bool {
	return errors.Is(err, ErrUnavailable) && codec.AsError(err).Code == codec.CodeUnavailable &&
		!errors.Is(err, games.ErrSeqConflict) && !errors.Is(err, games.ErrNotFound)
}
