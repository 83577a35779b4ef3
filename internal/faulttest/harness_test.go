package faulttest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Names the fault server prints and uses (internal/faultserver).
const (
	listenPrefix = "faultserver listening "
	stoppedLine  = "faultserver stopped"
	dbFile       = "chat.db"
)

// serverBin is the fault server binary, built once by TestMain.
var serverBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "parlor-faulttest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faulttest:", err)
		os.Exit(1)
	}
	serverBin = filepath.Join(dir, "faultserver")
	if err := buildServer(serverBin); err != nil {
		// Every test here needs the server: fail the run, never skip.
		fmt.Fprintln(os.Stderr, "faulttest: build the fault server:", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// buildServer builds internal/faultserver with the go command that runs
// these tests.
func buildServer(out string) error {
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(gobin, "build", "-o", out, "github.com/parlorhq/parlor/internal/faultserver")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %s", err, b)
	}
	return nil
}

// server is one run of the fault server as a child process.
type server struct {
	t    testing.TB
	Addr string // host:port it listens on
	Data string // its data directory
	cmd  *exec.Cmd

	mu     sync.Mutex
	stdout []string
	stderr bytes.Buffer

	done    chan struct{} // closed when the process has exited
	waitErr error
}

// startServer runs the fault server on addr ("127.0.0.1:0" for any port)
// with data as its data directory and the extra flags, and waits until it
// listens. When addr names a port that is still busy (a restart on the
// port of a killed server), it retries for a few seconds. The process is
// killed when the test ends, if it still runs.
func startServer(t testing.TB, data, addr string, flags ...string) *server {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s, err := tryStart(t, data, addr, flags)
		if err == nil {
			t.Cleanup(func() { s.kill() })
			return s
		}
		if !strings.Contains(err.Error(), "address already in use") || time.Now().After(deadline) {
			t.Fatalf("start the fault server on %s: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tryStart(t testing.TB, data, addr string, flags []string) (*server, error) {
	args := append([]string{"-data", data, "-addr", addr}, flags...)
	s := &server{t: t, Data: data, cmd: exec.Command(serverBin, args...), done: make(chan struct{})}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s.cmd.Stderr = &lockedWriter{mu: &s.mu, w: &s.stderr}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	listening := make(chan string, 1)
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.stdout = append(s.stdout, line)
			s.mu.Unlock()
			if a, ok := strings.CutPrefix(line, listenPrefix); ok {
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
	case a := <-listening:
		s.Addr = a
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("exited before listening (%v): %s", s.waitErr, s.Stderr())
	case <-time.After(15 * time.Second):
		s.kill()
		return nil, fmt.Errorf("not listening after 15s: %s", s.Stderr())
	}
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// URL returns the WebSocket URL that authenticates as user.
func (s *server) URL(user string) string { return "ws://" + s.Addr + "/ws?user=" + user }

// PID returns the process id.
func (s *server) PID() int { return s.cmd.Process.Pid }

// Stderr returns what the process wrote to stderr so far.
func (s *server) Stderr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

// Stdout returns the lines the process printed so far.
func (s *server) Stdout() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.stdout...)
}

// kill sends SIGKILL and waits for the process to end. It is safe to call
// after the process has exited.
func (s *server) kill() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// terminate sends SIGTERM and waits up to timeout for a graceful exit; it
// fails the test unless the process exits with status 0 after printing
// its stopped line.
func (s *server) terminate(timeout time.Duration) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(timeout):
		s.kill()
		s.t.Fatalf("the server did not exit within %v of SIGTERM; stderr:\n%s", timeout, s.Stderr())
	}
	if s.waitErr != nil {
		s.t.Fatalf("the server exited with %v after SIGTERM; stderr:\n%s", s.waitErr, s.Stderr())
	}
	lines := s.Stdout()
	if len(lines) == 0 || lines[len(lines)-1] != stoppedLine {
		s.t.Fatalf("the server's last line after SIGTERM is not %q: %q", stoppedLine, lines)
	}
}

// serverStats is the fault server's GET /debug/stats.
type serverStats struct {
	HeapInuse  uint64 `json:"heap_inuse"`
	HeapAlloc  uint64 `json:"heap_alloc"`
	StackInuse uint64 `json:"stack_inuse"`
	RSS        uint64 `json:"rss"`
	Goroutines int    `json:"goroutines"`
	FDs        int    `json:"fds"`
	Sessions   int    `json:"sessions"`
	Rooms      int    `json:"rooms"`
}

// stats fetches the server's stats; with gc, after a garbage collection.
func (s *server) stats(gc bool) (serverStats, error) {
	u := "http://" + s.Addr + "/debug/stats"
	if gc {
		u += "?gc=1"
	}
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return serverStats{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return serverStats{}, fmt.Errorf("stats: HTTP %d", resp.StatusCode)
	}
	var st serverStats
	err = json.NewDecoder(resp.Body).Decode(&st)
	return st, err
}

// vmRSS reads the resident set of process pid from /proc, in bytes.
func vmRSS(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS")
}

// waitFor polls cond every 20ms until it is true or timeout passes, and
// reports whether it became true.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// need skips the test when a component it needs is missing, except in CI
// (CI=true), where a missing component fails the test instead.
func need(t *testing.T, what string, present bool) {
	t.Helper()
	if present {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("missing: %s", what)
	}
	t.Skipf("missing: %s (in CI this fails)", what)
}
