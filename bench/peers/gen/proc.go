package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// clockTick is USER_HZ, the unit of the CPU times in /proc/<pid>/stat.
const clockTick = time.Second / 100

// cpuTime reads the user plus system CPU time of process pid (0: this
// process) from /proc/<pid>/stat: fields 14 and 15, counted after the
// command name, which may itself hold spaces and parentheses.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(procPath(pid, "stat"))
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("%s: no command name", procPath(pid, "stat"))
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0, fmt.Errorf("%s: %d fields", procPath(pid, "stat"), len(f)+2)
	}
	utime, err1 := strconv.ParseUint(string(f[11]), 10, 64)
	stime, err2 := strconv.ParseUint(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("%s: bad utime or stime", procPath(pid, "stat"))
	}
	return time.Duration(utime+stime) * clockTick, nil
}

// rss reads VmRSS of process pid from /proc/<pid>/status, in bytes.
func rss(pid int) (uint64, error) {
	b, err := os.ReadFile(procPath(pid, "status"))
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(b) {
		v, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		kb, ok := bytes.CutSuffix(bytes.TrimSpace(v), []byte(" kB"))
		if !ok {
			break
		}
		n, err := strconv.ParseUint(string(bytes.TrimSpace(kb)), 10, 64)
		if err != nil {
			return 0, err
		}
		return n << 10, nil
	}
	return 0, fmt.Errorf("%s: no VmRSS", procPath(pid, "status"))
}

// loadAvg returns the first three fields of /proc/loadavg, or "" when it
// cannot be read: the machine's load, for the record of a run.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := bytes.Fields(b)
	if len(f) < 3 {
		return ""
	}
	return string(bytes.Join(f[:3], []byte(" ")))
}

func procPath(pid int, name string) string {
	if pid == 0 {
		return "/proc/self/" + name
	}
	return "/proc/" + strconv.Itoa(pid) + "/" + name
}
