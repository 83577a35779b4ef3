package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// Defaults of the flags.
const (
	defaultLockTimeout = 2 * time.Second
	defaultTxMaxSize   = 64 << 20
)

// statsFlags are the arguments of stats.
type statsFlags struct {
	path        string
	lockTimeout time.Duration
}

// compactFlags are the arguments of compact.
type compactFlags struct {
	path        string
	out         string // empty: replace path
	txMaxSize   int64
	lockTimeout time.Duration
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: parlor-admin stats FILE")
	fmt.Fprintln(w, "       parlor-admin compact [-out NEWFILE] [-tx-max-size BYTES] [-lock-timeout DUR] FILE")
}

func parseStats(args []string, stderr io.Writer) (statsFlags, error) {
	var f statsFlags
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&f.lockTimeout, "lock-timeout", defaultLockTimeout, "how long to wait for a server to release FILE")
	path, err := parseFile(fs, args)
	f.path = path
	return f, err
}

func parseCompact(args []string, stderr io.Writer) (compactFlags, error) {
	var f compactFlags
	fs := flag.NewFlagSet("compact", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.out, "out", "", "write the compacted copy to this new file and leave FILE alone (default: replace FILE)")
	fs.Int64Var(&f.txMaxSize, "tx-max-size", defaultTxMaxSize, "bytes copied per write transaction (bounds memory)")
	fs.DurationVar(&f.lockTimeout, "lock-timeout", defaultLockTimeout, "how long to wait for a server to release FILE")
	path, err := parseFile(fs, args)
	f.path = path
	return f, err
}

// parseFile parses fs's flags and its one argument, FILE.
func parseFile(fs *flag.FlagSet, args []string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() != 1 {
		usage(fs.Output())
		return "", errors.New("want one FILE")
	}
	return fs.Arg(0), nil
}
