package loadgen

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestPinChild starts this test binary as a child pinned the way -pin
// pins a -spawn server, and the child checks that every one of its
// threads, those started after the pin included, runs on that one CPU
// alone, with GOMAXPROCS 1.
func TestPinChild(t *testing.T) {
	p, err := ChoosePins()
	if cpus, _ := allowedCPUs(); len(cpus) < 2 {
		if !errors.Is(err, ErrPinCPUs) {
			t.Fatalf("ChoosePins with %d CPUs: %v, want ErrPinCPUs", len(cpus), err)
		}
		return
	}
	if err != nil || p.Server == p.Gen {
		t.Fatalf("ChoosePins: %+v, %v", p, err)
	}
	// The child pins itself to the generator's CPU, so that the test does
	// not pass by staying on the first CPU.
	child := Pins{Server: p.Gen, Gen: p.Server}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPinHelperProcess$", "--")
	cmd.Env = append(os.Environ(), "PARLOR_PIN_HELPER=1")
	child.PinChild(cmd)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

// TestPinHelperProcess is the child of TestPinChild; it does nothing in
// an ordinary run.
func TestPinHelperProcess(t *testing.T) {
	if os.Getenv("PARLOR_PIN_HELPER") != "1" {
		return
	}
	if err := pinHelper(flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// pinHelper reads -pin-cpu N from args, checks GOMAXPROCS, pins the
// process, starts threads and checks the affinity of every thread.
func pinHelper(args []string) error {
	if len(args) != 2 || args[0] != "-"+PinFlag {
		return fmt.Errorf("args %q, want -%s N", args, PinFlag)
	}
	cpu, err := strconv.Atoi(args[1])
	if err != nil {
		return err
	}
	if n := runtime.GOMAXPROCS(0); n != 1 {
		return fmt.Errorf("GOMAXPROCS %d before the pin, want 1 from the environment", n)
	}
	if err := PinProcess(cpu); err != nil {
		return err
	}
	// Threads started after the pin: goroutines locked to threads of
	// their own, all alive at once.
	var started, done sync.WaitGroup
	release := make(chan struct{})
	for range 4 {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			runtime.LockOSThread()
			started.Done()
			<-release
		}()
	}
	started.Wait()
	time.Sleep(10 * time.Millisecond)
	defer func() { close(release); done.Wait() }()
	tids, err := threads()
	if err != nil {
		return err
	}
	if len(tids) < 5 {
		return fmt.Errorf("%d threads, want at least 5", len(tids))
	}
	for _, tid := range tids {
		cpus, err := threadCPUs(tid)
		if err != nil {
			return err
		}
		if !slices.Equal(cpus, []int{cpu}) {
			return fmt.Errorf("thread %d may run on %v, want [%d]", tid, cpus, cpu)
		}
	}
	if n := runtime.GOMAXPROCS(0); n != 1 {
		return fmt.Errorf("GOMAXPROCS %d after the pin, want 1", n)
	}
	return nil
}
