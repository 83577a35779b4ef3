package engine_test

import (
	"testing"

	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/procstat"
	"github.com/parlorhq/parlor/metrics"
	"github.com/prometheus/client_golang/prometheus"
)

// The metrics-overhead benchmarks: each runs its world without an Observer
// (off), with one that does nothing (nop) and with package metrics'
// Prometheus collectors (on), in one process. Besides ns/op they report cpu-ns/op, the process's CPU time per
// op, which a machine busy with other work disturbs much less than the
// wall clock (docs/benchmarks.md, "Metrics overhead").

// benchObservers returns the observers by sub-benchmark name: none (off),
// engine.NopObserver (nop: the seam's own cost) and package metrics (on).
func benchObservers(b *testing.B) []struct {
	name string
	obs  engine.Observer
} {
	m, err := metrics.New(metrics.Config{Registerer: prometheus.NewRegistry()})
	if err != nil {
		b.Fatal(err)
	}
	return []struct {
		name string
		obs  engine.Observer
	}{{"metrics=off", nil}, {"metrics=nop", engine.NopObserver{}}, {"metrics=on", m}}
}

// BenchmarkMetricsHubPublish1000Outbox is BenchmarkHubPublish1000Outbox
// (1,000 real sessions, outboxes drained every 64 broadcasts as the writer
// drains them, minus the socket write) without and with metrics. One op is
// one broadcast.
func BenchmarkMetricsHubPublish1000Outbox(b *testing.B) {
	const sessions = 1000
	for _, o := range benchObservers(b) {
		b.Run(o.name, func(b *testing.B) {
			f := engine.NewOutboxFanout(sessions, o.obs)
			defer f.Close()
			b.ReportAllocs()
			b.ResetTimer()
			cpu := procstat.ReadCPU()
			for i := range b.N {
				f.Publish()
				if i%64 == 63 {
					f.Drain()
				}
			}
			f.Drain()
			b.StopTimer()
			reportCPU(b, cpu)
			if f.Delivered != b.N*sessions {
				b.Fatalf("delivered %d frames, want %d", f.Delivered, b.N*sessions)
			}
			b.ReportMetric(float64(f.Delivered)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}

// BenchmarkMetricsFanoutLoopback is BenchmarkFanoutLoopback (1,000
// WebSocket clients on loopback in one echo room, 16 broadcasts in
// flight) without and with metrics. One op is one broadcast.
func BenchmarkMetricsFanoutLoopback(b *testing.B) {
	for _, o := range benchObservers(b) {
		b.Run(o.name, func(b *testing.B) { benchFanoutLoopback(b, o.obs) })
	}
}

// reportCPU reports the process's CPU time since start per op.
func reportCPU(b *testing.B, start procstat.CPU) {
	b.ReportMetric(float64(procstat.ReadCPU().Sub(start).Self.Nanoseconds())/float64(b.N), "cpu-ns/op")
}
