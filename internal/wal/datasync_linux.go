package wal

import (
	"os"
	"syscall"
)

// Fdatasync flushes f's data, and only the metadata needed to read it.
func Fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
