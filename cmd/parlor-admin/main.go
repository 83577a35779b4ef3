// Command parlor-admin looks after the bbolt file of chat/boltstore
// offline, while no server has it open.
//
//	parlor-admin stats FILE
//	parlor-admin compact [-out NEWFILE] [-tx-max-size BYTES] [-lock-timeout DUR] FILE
//
// # stats
//
// Prints the file's size, how much of it is free pages (space that bbolt
// reuses for new data but never gives back to the file system), and the
// keys and bytes of each bucket.
//
// # compact
//
// bbolt never shrinks its file: entries removed by retention, or rooms
// and receipts overwritten many times, leave free pages behind. compact
// copies every bucket and key into a new, densely packed file, checks the
// copy (bbolt's consistency check, and the same number of keys in every
// bucket), and then either atomically replaces FILE with it (the default)
// or leaves it at -out. The new file is written next to its destination
// and renamed over it, so FILE is never half-written: if anything fails,
// FILE is as it was.
//
// The server must be stopped: FILE is opened read-only with a shared
// lock, which waits -lock-timeout for a running server's exclusive lock
// and fails if it is still held.
//
// Exit status: 0 on success, 1 on a failure, 2 on bad usage.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run runs the subcommand named by args[0] and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	var err error
	switch args[0] {
	case "stats":
		var f statsFlags
		if f, err = parseStats(args[1:], stderr); err != nil {
			return 2
		}
		err = runStats(f, stdout)
	case "compact":
		var f compactFlags
		if f, err = parseCompact(args[1:], stderr); err != nil {
			return 2
		}
		err = runCompact(f, stdout)
	default:
		usage(stderr)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "parlor-admin:", err)
		return 1
	}
	return 0
}
