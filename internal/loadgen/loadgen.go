// Package loadgen holds what the load commands share: running a step for
// many clients with bounded concurrency, the URLs and teardown of their
// clients, latency quantiles and CPU profiles.
package loadgen
