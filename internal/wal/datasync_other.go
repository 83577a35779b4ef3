//go:build !linux

package wal

import "os"

// Fdatasync flushes f (fsync where fdatasync is not available).
func Fdatasync(f *os.File) error { return f.Sync() }
