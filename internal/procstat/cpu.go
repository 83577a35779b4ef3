package procstat

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// CPU is a reading of CPU time: this process's, and the whole machine's
// busy time, so that a report can show how much of the machine other
// processes used during a run. Subtract two readings (Sub) to get the
// time used between them.
type CPU struct {
	// Self is the user and system CPU time this process has used
	// (getrusage). It is 0 where getrusage is not available.
	Self time.Duration
	// Busy is the CPU time all CPUs of the machine spent neither idle nor
	// waiting for I/O, from /proc/stat. It is 0 off Linux.
	Busy time.Duration
}

// userHZ is the unit of /proc/stat: USER_HZ, 100 on Linux.
const userHZ = 100

// ReadCPU reads this process's and the machine's CPU time.
func ReadCPU() CPU {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return CPU{Self: selfCPU()}
	}
	return CPU{Self: selfCPU(), Busy: busyTime(string(b))}
}

// Sub returns the CPU time used from o to c.
func (c CPU) Sub(o CPU) CPU {
	return CPU{Self: c.Self - o.Self, Busy: c.Busy - o.Busy}
}

// busyTime sums the busy fields of the "cpu" line of /proc/stat: user,
// nice, system, irq, softirq and steal; not idle or iowait, nor guest
// time, which user and nice already count. It returns 0 if the line is
// not there or does not parse.
func busyTime(stat string) time.Duration {
	line, _, _ := strings.Cut(stat, "\n")
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0
	}
	var ticks uint64
	for i, f := range fields[1:9] { // user nice system idle iowait irq softirq steal
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return 0
		}
		if i != 3 && i != 4 {
			ticks += v
		}
	}
	return time.Duration(ticks) * (time.Second / userHZ)
}
