package powercut

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Names the test server prints and uses (internal/faultserver).
const (
	listenPrefix = "faultserver listening "
	stoppedLine  = "faultserver stopped"
	chatDB       = "chat.db"
	gamesDB      = "games.db"
)

// serverFlags are the flags of every run of the test server: no rate
// limits on frames, chat messages or challenges (the test's players start
// matches one after the other), and a disconnect grace longer than a run.
var serverFlags = []string{"-rate-limit", "-1", "-chat-rate", "-1", "-challenge-rate", "1073741824", "-grace", "1m"}

// buildServer builds internal/faultserver into dir with the go command
// that runs the test, and returns the binary's path.
func buildServer(t *testing.T, dir string) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out := filepath.Join(dir, "faultserver")
	cmd := exec.Command(gobin, "build", "-o", out, "github.com/parlorhq/parlor/internal/faultserver")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the test server: %v: %s", err, b)
	}
	return out
}

// server is one run of the test server as a child process.
type server struct {
	t    *testing.T
	Addr string // host:port it listens on
	cmd  *exec.Cmd

	mu     sync.Mutex
	last   string // the last line it printed to stdout
	stderr bytes.Buffer

	done    chan struct{} // closed when the process has exited
	waitErr error
}

// startServer runs the binary with data as its data directory and the
// extra flags, and waits until it listens on a loopback port. The process
// is killed when the test ends, if it still runs: before the filesystem
// under data is unmounted, since the test's cleanups run last first.
func startServer(t *testing.T, bin, data string, flags ...string) *server {
	t.Helper()
	args := append([]string{"-data", data, "-addr", "127.0.0.1:0"}, serverFlags...)
	args = append(args, flags...)
	s := &server{t: t, cmd: exec.Command(bin, args...), done: make(chan struct{})}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stderr = &lockedWriter{s: s}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.kill)
	listening := make(chan string, 1)
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			s.mu.Lock()
			s.last = sc.Text()
			s.mu.Unlock()
			if a, ok := strings.CutPrefix(sc.Text(), listenPrefix); ok {
				listening <- a
			}
		}
	}()
	go func() {
		<-read // Wait must not run before the pipe is read to its end
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	select {
	case s.Addr = <-listening:
		return s
	case <-s.done:
		t.Fatalf("the test server exited before listening (%v): %s", s.waitErr, s.Stderr())
	case <-time.After(30 * time.Second):
		t.Fatalf("the test server is not listening after 30s: %s", s.Stderr())
	}
	return nil
}

// lockedWriter collects the server's stderr.
type lockedWriter struct{ s *server }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.stderr.Write(p)
}

// URL returns the WebSocket URL that authenticates as user.
func (s *server) URL(user string) string { return "ws://" + s.Addr + "/ws?user=" + user }

// Stderr returns what the process wrote to stderr so far.
func (s *server) Stderr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

// kill sends SIGKILL and waits until the process has exited. It is safe
// to call after the process has exited.
func (s *server) kill() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// terminate sends SIGTERM and fails the test unless the process exits
// with status 0 after printing its stopped line within 20 seconds.
func (s *server) terminate() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		s.kill()
		s.t.Fatalf("the test server did not exit within 20s of SIGTERM; stderr:\n%s", s.Stderr())
	}
	s.mu.Lock()
	last := s.last
	s.mu.Unlock()
	if s.waitErr != nil || last != stoppedLine {
		s.t.Fatalf("the test server exited with %v after SIGTERM, last line %q; stderr:\n%s", s.waitErr, last, s.Stderr())
	}
}

// waitFor polls cond every 5ms until it is true or timeout passes, and
// reports whether it became true.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}
