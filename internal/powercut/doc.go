// Package powercut holds Parlor's power-cut test: it runs the fault tests'
// server (internal/faultserver) as a child process with its data directory
// on an ext4 filesystem on a loop device, drives chat and tic-tac-toe
// with real clients, then kills the server and keeps only what the loop
// device had been given, as a disk would after the power went out. The
// server starts again on that copy, and every acked write must be there.
// The package has no code outside its tests; docs/reliability.md ("Power
// cut") describes what the test simulates, what it proves and its limits.
//
// It needs root and loop devices: without them it skips, except in CI
// (CI=true), where it fails.
package powercut
