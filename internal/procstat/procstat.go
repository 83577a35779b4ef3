// Package procstat reads what this process and the machine use: memory,
// file descriptors, I/O counts and CPU time, for the load and soak
// commands and the fault server. Off Linux (no /proc) the /proc readings
// are empty.
package procstat

import (
	"os"
	"strconv"
	"strings"
)

// Status returns the kB fields of /proc/self/status (VmRSS, RssAnon,
// RssFile, ...), in bytes. It is empty when /proc cannot be read.
func Status() map[string]uint64 {
	out := map[string]uint64{}
	for k, v := range readFields("/proc/self/status") {
		if n, kb := strings.CutSuffix(v, " kB"); kb {
			if b, err := strconv.ParseUint(n, 10, 64); err == nil {
				out[k] = b << 10
			}
		}
	}
	return out
}

// IO returns the counters of /proc/self/io (syscr, syscw, rchar, wchar,
// ...). It is empty when /proc cannot be read.
func IO() map[string]uint64 {
	out := map[string]uint64{}
	for k, v := range readFields("/proc/self/io") {
		if n, err := strconv.ParseUint(v, 10, 64); err == nil {
			out[k] = n
		}
	}
	return out
}

// FDs counts this process's open file descriptors, or returns -1 when
// /proc/self/fd cannot be read.
func FDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// readFields reads a file of "key: value" lines into a map of trimmed
// values. It is empty when the file cannot be read.
func readFields(path string) map[string]string {
	out := map[string]string{}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}
