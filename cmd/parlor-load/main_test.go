package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
)

// TestMain lets the test binary be its own -spawn child: -spawn runs this
// executable with -serve, which here serves instead of running the tests.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "-serve" {
		fs := flag.NewFlagSet("serve", flag.ExitOnError)
		addr := fs.String("serve", "", "")
		heartbeat := fs.Duration("heartbeat", 0, "")
		_ = fs.Parse(os.Args[1:])
		if err := serveChild(context.Background(), *addr, *heartbeat); err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
