package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"

	"github.com/parlorhq/parlor/internal/procstat"
)

// machineMem is the memory of the idle connections outside the server:
// the kernel's slab, where both ends' sockets live, and the generator's
// RSS. Other work on the machine moves the slab too.
type machineMem struct {
	slab   uint64 // Slab of /proc/meminfo, bytes; 0 when unreadable
	genRSS uint64 // VmRSS of this process, bytes
}

// readMachineMem reads the kernel's slab and this process's RSS.
func readMachineMem() machineMem {
	return machineMem{slab: meminfo("Slab"), genRSS: procstat.Status()["VmRSS"]}
}

// meminfo returns the kB field key of /proc/meminfo in bytes, 0 when it
// cannot be read.
func meminfo(key string) uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != key {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0
		}
		return n << 10
	}
	return 0
}
