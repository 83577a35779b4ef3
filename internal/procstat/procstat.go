// Package procstat reads this process's memory and file descriptor counts
// from /proc, for the soak command and the fault server. Off Linux (no
// /proc) the readings are empty.
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
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return out
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		v, kb := strings.CutSuffix(strings.TrimSpace(v), " kB")
		if !ok || !kb {
			continue
		}
		if n, err := strconv.ParseUint(v, 10, 64); err == nil {
			out[k] = n << 10
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
