package loadgen

import (
	"errors"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"sync"
)

// StartCPUProfile starts a CPU profile of this process into a new file at
// path. stop ends the profile and closes the file; calls after the first
// do nothing and return nil.
func StartCPUProfile(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	var once sync.Once
	return func() error {
		err := error(nil)
		once.Do(func() {
			pprof.StopCPUProfile()
			err = f.Close()
		})
		return err
	}, nil
}

// StartTrace starts an execution trace (runtime/trace) of this process
// into a new file at path, for go tool trace. stop ends the trace and
// closes the file; calls after the first do nothing and return nil.
func StartTrace(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := trace.Start(f); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	var once sync.Once
	return func() error {
		err := error(nil)
		once.Do(func() {
			trace.Stop()
			err = f.Close()
		})
		return err
	}, nil
}
