// Package metrics exports Parlor's measurements to Prometheus.
//
// A Metrics holds client_golang collectors registered on the
// prometheus.Registerer the host passes in. It implements engine.Observer
// (connections, frames, bytes, write batching, outboxes, request latency,
// rooms, resumes) and games.Observer (moves, finished matches), wraps a
// chat.Store to time its appends (ChatStore), and reads a store's commit
// counters at scrape time (CountStoreWrites). The engine itself depends on
// no metrics library: without an Observer it measures nothing.
//
// Every metric name starts with parlor_; labels are low-cardinality (module
// kinds, frame types, close codes, HTTP statuses, outcomes), never a user
// or room id. docs/operations.md lists every metric, the alerts worth
// setting and the Grafana dashboard.
package metrics
