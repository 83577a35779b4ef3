// Package loadgen holds what the load commands share: running a step for
// many clients with bounded concurrency, the URLs and teardown of their
// clients, latency histograms (HDR), the open-loop send schedule, live
// progress lines, JSON results and CPU profiles.
package loadgen
