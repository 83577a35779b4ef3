package main

import "runtime/metrics"

// gcStats is what the garbage collector of one process did: read it
// before and after the measured time and subtract.
type gcStats struct {
	// Cycles is the number of completed GC cycles.
	Cycles uint64 `json:"cycles"`
	// CPU is the CPU seconds the GC used, its mark assists included.
	CPU float64 `json:"cpu"`
	// LiveHeap is the heap the last cycle marked live, in bytes; a
	// reading, not a count, so sub keeps the later one.
	LiveHeap uint64 `json:"live_heap"`
}

// gcMetrics are the runtime/metrics gcStats reads, in its field order.
var gcMetrics = []string{"/gc/cycles/total:gc-cycles", "/cpu/classes/gc/total:cpu-seconds", "/gc/heap/live:bytes"}

// readGC reads this process's gcStats.
func readGC() gcStats {
	s := make([]metrics.Sample, len(gcMetrics))
	for i, name := range gcMetrics {
		s[i].Name = name
	}
	metrics.Read(s)
	var g gcStats
	if s[0].Value.Kind() == metrics.KindUint64 {
		g.Cycles = s[0].Value.Uint64()
	}
	if s[1].Value.Kind() == metrics.KindFloat64 {
		g.CPU = s[1].Value.Float64()
	}
	if s[2].Value.Kind() == metrics.KindUint64 {
		g.LiveHeap = s[2].Value.Uint64()
	}
	return g
}

// sub returns what the GC did from o to g.
func (g gcStats) sub(o gcStats) gcStats {
	return gcStats{Cycles: g.Cycles - o.Cycles, CPU: g.CPU - o.CPU, LiveHeap: g.LiveHeap}
}
