package procstat

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// needProc skips off Linux, and fails in CI, which runs on Linux.
func needProc(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		if os.Getenv("CI") == "true" {
			t.Fatal("needs Linux's /proc, which CI has")
		}
		t.Skip("needs /proc")
	}
}

func TestReadings(t *testing.T) {
	needProc(t)
	st := Status()
	if st["VmRSS"] == 0 || st["RssAnon"] == 0 {
		t.Fatalf("Status() = %v, want VmRSS and RssAnon", st)
	}
	before := FDs()
	f, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if after := FDs(); before <= 0 || after != before+1 {
		t.Fatalf("FDs() %d before opening a file, %d after", before, after)
	}
}

// TestIOCountsWrites: every write(2) of this process adds one to syscw.
func TestIOCountsWrites(t *testing.T) {
	needProc(t)
	f, err := os.Create(filepath.Join(t.TempDir(), "w"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	before, ok := IO()["syscw"]
	if !ok {
		t.Fatalf("IO() = %v, want syscw", IO())
	}
	for range 10 {
		if _, err := f.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	// Other goroutines of the test binary may write too, never fewer.
	if after := IO()["syscw"]; after < before+10 {
		t.Fatalf("syscw %d before 10 writes, %d after", before, after)
	}
}

// sink keeps TestReadCPU's loop from being optimized away.
var sink int

// TestReadCPU: burning CPU shows in this process's time and in the
// machine's busy time.
func TestReadCPU(t *testing.T) {
	needProc(t)
	before := ReadCPU()
	if before.Self <= 0 || before.Busy <= 0 {
		t.Fatalf("ReadCPU() = %+v, want both times", before)
	}
	var used CPU
	x := 1
	for used.Self < 50*time.Millisecond {
		for i := range 1 << 20 {
			x = x*31 + i
		}
		used = ReadCPU().Sub(before)
	}
	sink = x
	// /proc/stat counts in 10ms ticks; 50ms of this process's time is in
	// the machine's busy time.
	if used.Busy < 10*time.Millisecond {
		t.Fatalf("ReadCPU().Sub = %+v: the machine's busy time missed this process's", used)
	}
}

func TestBusyTime(t *testing.T) {
	for _, tc := range []struct {
		name, stat string
		want       time.Duration
	}{
		{"modern", "cpu  100 2 30 5000 40 5 6 7 8 9\ncpu0 1 2 3 4 5 6 7 8 9 10\n", (100 + 2 + 30 + 5 + 6 + 7) * 10 * time.Millisecond},
		{"no steal field", "cpu  100 2 30 5000 40 5 6\n", 0},
		{"not the cpu line", "intr 1 2 3 4 5 6 7 8 9\n", 0},
		{"garbage", "cpu  1 2 x 4 5 6 7 8\n", 0},
		{"empty", "", 0},
	} {
		if got := busyTime(tc.stat); got != tc.want {
			t.Errorf("%s: busyTime = %v, want %v", tc.name, got, tc.want)
		}
	}
}
