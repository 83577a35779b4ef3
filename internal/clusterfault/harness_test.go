package clusterfault

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Lines the node and the proxy print.
const (
	nodeListenPrefix  = "clusternode listening "
	nodeStoppedLine   = "clusternode stopped"
	proxyListenPrefix = "parlor-proxy listening "
)

// startTimeout bounds how long any process may take to get ready.
const startTimeout = 60 * time.Second

// The binaries, built once by TestMain.
var bin struct{ nats, node, proxy, arcade string }

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "parlor-clusterfault-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "clusterfault:", err)
		os.Exit(1)
	}
	bin.nats = filepath.Join(dir, "nats-server")
	bin.node = filepath.Join(dir, "clusternode")
	bin.proxy = filepath.Join(dir, "parlor-proxy")
	bin.arcade = filepath.Join(dir, "arcade")
	for _, b := range []struct{ out, pkg string }{
		{bin.nats, "github.com/nats-io/nats-server/v2"},
		{bin.node, "github.com/parlorhq/parlor/internal/clusterfault/clusternode"},
		{bin.proxy, "github.com/parlorhq/parlor/cmd/parlor-proxy"},
		{bin.arcade, "github.com/parlorhq/parlor/examples/arcade"},
	} {
		if err := goBuild(b.out, b.pkg); err != nil {
			// Every test needs them: fail the run, never skip.
			fmt.Fprintf(os.Stderr, "clusterfault: build %s: %v\n", b.pkg, err)
			_ = os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// goBuild builds pkg with the go command that runs these tests.
func goBuild(out, pkg string) error {
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	if b, err := exec.Command(gobin, "build", "-o", out, pkg).CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %s", err, b)
	}
	return nil
}

// proc is one child process.
type proc struct {
	t    testing.TB
	name string
	cmd  *exec.Cmd

	mu     sync.Mutex
	stdout []string
	stderr bytes.Buffer

	done    chan struct{} // closed when the process has exited
	waitErr error
}

// startProc runs path with args and, when prefix is not empty, waits for
// the stdout line that starts with it and returns the rest of that line.
// The process is killed when the test ends, if it still runs.
func startProc(t testing.TB, name, prefix, path string, args ...string) (*proc, string) {
	t.Helper()
	p := &proc{t: t, name: name, cmd: exec.Command(path, args...), done: make(chan struct{})}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = &lockedWriter{mu: &p.mu, w: &p.stderr}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(p.kill)
	found := make(chan string, 1)
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.stdout = append(p.stdout, line)
			p.mu.Unlock()
			if rest, ok := strings.CutPrefix(line, prefix); ok && prefix != "" {
				select {
				case found <- rest:
				default:
				}
			}
		}
	}()
	go func() {
		<-read // Wait must not run before the pipe is read to its end
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	if prefix == "" {
		return p, ""
	}
	select {
	case rest := <-found:
		return p, rest
	case <-p.done:
		t.Fatalf("%s exited before it was ready (%v): %s", name, p.waitErr, p.Stderr())
	case <-time.After(startTimeout):
		p.kill()
		t.Fatalf("%s not ready after %v: %s", name, startTimeout, p.Stderr())
	}
	return nil, ""
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// Stderr returns what the process wrote to stderr so far.
func (p *proc) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// Stdout returns the lines the process printed so far.
func (p *proc) Stdout() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.stdout...)
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the process, which must be running.
func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("%s: %v: %v", p.name, sig, err)
	}
}

// kill sends SIGKILL (after SIGCONT, in case it is stopped) and waits for
// the process to end. It is safe to call after the process has exited.
func (p *proc) kill() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// terminate sends SIGTERM and waits up to timeout for the process to exit
// with status 0 after printing stoppedLine (if not empty).
func (p *proc) terminate(timeout time.Duration, stoppedLine string) {
	p.t.Helper()
	p.signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.kill()
		p.t.Fatalf("%s did not exit within %v of SIGTERM; stderr:\n%s", p.name, timeout, p.Stderr())
	}
	if p.waitErr != nil {
		p.t.Fatalf("%s exited with %v after SIGTERM; stderr:\n%s", p.name, p.waitErr, p.Stderr())
	}
	if stoppedLine == "" {
		return
	}
	if lines := p.Stdout(); len(lines) == 0 || lines[len(lines)-1] != stoppedLine {
		p.t.Fatalf("%s's last line after SIGTERM is not %q: %q", p.name, stoppedLine, lines)
	}
}

// freePorts returns n loopback ports that were free a moment ago.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, n)
	ls := make([]net.Listener, n)
	for i := range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls[i] = l
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// httpOK reports whether GET url answers 200.
func httpOK(url string) bool {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
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
func need(t testing.TB, what string, present bool) {
	t.Helper()
	if present {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("missing: %s", what)
	}
	t.Skipf("missing: %s (in CI this fails)", what)
}

// ctxTimeout returns a context that ends after d, cancelled when the test
// ends.
func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
