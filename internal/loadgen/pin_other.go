//go:build !linux

package loadgen

import "errors"

// errPinLinux: pinning uses Linux's sched_setaffinity.
var errPinLinux = errors.New("loadgen: -pin needs Linux")

// allowedCPUs fails: pinning needs Linux.
func allowedCPUs() ([]int, error) { return nil, errPinLinux }

// PinProcess fails: pinning needs Linux.
func PinProcess(cpu int) error { return errPinLinux }
