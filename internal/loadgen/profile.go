package loadgen

import (
	"errors"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"sync"
)

// StartCPUProfile starts a CPU profile of this process into a new file at
// path. stop ends the profile and closes the file; calls after the first
// do nothing and return nil.
func StartCPUProfile(path string) (stop func() error, err error) {
	return recordTo(path, pprof.StartCPUProfile, pprof.StopCPUProfile)
}

// StartTrace starts an execution trace (runtime/trace) of this process
// into a new file at path, for go tool trace. stop ends the trace and
// closes the file; calls after the first do nothing and return nil.
func StartTrace(path string) (stop func() error, err error) {
	return recordTo(path, trace.Start, trace.Stop)
}

// recordTo creates the file at path and starts a recording into it with
// start; the returned stop ends it with end and closes the file, once.
func recordTo(path string, start func(io.Writer) error, end func()) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := start(f); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	var once sync.Once
	return func() error {
		err := error(nil)
		once.Do(func() {
			end()
			err = f.Close()
		})
		return err
	}, nil
}

// WriteHeapProfile collects garbage and then writes a heap profile of
// this process (pprof's "inuse" view is what is live) into a new file at
// path, for go tool pprof.
func WriteHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	return errors.Join(pprof.WriteHeapProfile(f), f.Close())
}
