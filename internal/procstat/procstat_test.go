package procstat

import (
	"os"
	"runtime"
	"testing"
)

func TestReadings(t *testing.T) {
	if runtime.GOOS != "linux" {
		if os.Getenv("CI") == "true" {
			t.Fatal("needs Linux's /proc, which CI has")
		}
		t.Skip("needs /proc")
	}
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
