package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"strings"
	"time"
)

// defaultDown is how long a backend that refused a connection, or did not
// answer in time, is skipped.
const defaultDown = time.Second

// defaultAnswer is how long a backend has to send its response headers.
const defaultAnswer = 5 * time.Second

// config holds the command-line flags.
type config struct {
	addr     string
	backends []string // host:port of each node
	down     time.Duration
	answer   time.Duration
	quiet    bool
}

// backendList collects repeated -backend flags; one flag may also hold a
// comma-separated list.
type backendList []string

func (b *backendList) String() string { return strings.Join(*b, ",") }

func (b *backendList) Set(v string) error {
	for a := range strings.SplitSeq(v, ",") {
		a = strings.TrimSpace(strings.TrimPrefix(a, "http://"))
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("backend %q: want host:port", a)
		}
		*b = append(*b, a)
	}
	return nil
}

// parseFlags reads the command line.
func parseFlags(args []string) (config, error) {
	var cfg config
	var backends backendList
	fs := flag.NewFlagSet("parlor-proxy", flag.ContinueOnError)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.Var(&backends, "backend", "a node's host:port; repeat it, or give a comma-separated list")
	fs.DurationVar(&cfg.down, "down", defaultDown, "how long a backend that refused a connection, or did not answer in time, is skipped")
	fs.DurationVar(&cfg.answer, "answer", defaultAnswer, "how long a backend has to send its response headers (502 after it)")
	fs.BoolVar(&cfg.quiet, "quiet", false, "do not log backends going down and up")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	cfg.backends = backends
	if len(cfg.backends) == 0 {
		return config{}, errors.New("need at least one -backend")
	}
	if cfg.down <= 0 {
		return config{}, errors.New("-down must be positive")
	}
	if cfg.answer <= 0 {
		return config{}, errors.New("-answer must be positive")
	}
	return cfg, nil
}
