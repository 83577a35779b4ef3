package loadgen

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os/exec"
	"strings"
	"time"
)

// Child is a server a load tool runs in a process of its own (-spawn), so
// that the tool's goroutines, CPU and garbage are not the server's: the
// tool's own binary in its -serve mode, which prints its WebSocket URL as
// its first line of output and serves until its standard input closes
// (WaitParent).
type Child struct {
	cmd    *exec.Cmd
	stdin  io.Closer
	lines  chan string
	exited chan error
}

// StartChild starts cmd as a Child. Its first line of output is what URL
// returns; the rest is discarded.
func StartChild(cmd *exec.Cmd) (*Child, error) {
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &Child{cmd: cmd, stdin: stdin, lines: make(chan string, 1), exited: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			c.lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, stdout)
		c.exited <- cmd.Wait()
	}()
	return c, nil
}

// ErrChildNoURL: the child did not print a ws:// URL in time.
var ErrChildNoURL = errors.New("loadgen: the server child did not report its address")

// URL waits at most timeout for the child's first line of output and
// returns it; ErrChildNoURL when none came or it is not a ws:// URL.
func (c *Child) URL(timeout time.Duration) (string, error) {
	select {
	case line := <-c.lines:
		if strings.HasPrefix(line, "ws://") {
			return line, nil
		}
	case <-time.After(timeout):
	}
	return "", ErrChildNoURL
}

// ErrChildKilled: the child did not exit in time after its standard input
// closed, and was killed.
var ErrChildKilled = errors.New("loadgen: the server child did not stop in time; killed it")

// Stop closes the child's standard input, which asks it to shut down, and
// waits for it to exit: it returns the child's exit error, or kills it
// and returns ErrChildKilled when ctx ends first.
func (c *Child) Stop(ctx context.Context) error {
	_ = c.stdin.Close()
	select {
	case err := <-c.exited:
		return err
	case <-ctx.Done():
		_ = c.cmd.Process.Kill() // the tool's own child, by its pid
		<-c.exited
		return ErrChildKilled
	}
}
