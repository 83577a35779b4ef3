package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/parlorhq/parlor/engine"
)

// CountCluster registers the cluster layer's series, read from stats at
// each scrape (pass a *cluster.Node's Stats):
//
//	parlor_cluster_connected                  1 while the node is connected to the cluster
//	parlor_cluster_leases                     room leases held now (rooms owned)
//	parlor_cluster_leases_lost_total          leases that ended lost
//	parlor_cluster_forwarded_total            requests sent to rooms' owners on other nodes
//	parlor_cluster_forward_unreached_total    of those, not reaching an owner (none serves it, NATS down)
//	parlor_cluster_batches_published_total    batches of room events published to other nodes
//	parlor_cluster_batches_received_total     batches received from other nodes
//	parlor_cluster_batch_gaps_total           batches from another node that arrived after a gap
//	parlor_cluster_silences_total             times this node was heard again after a silence
//	parlor_cluster_nodes_gone_total           times another node was believed gone
//
// A rising batch-gap or silence count is the cluster bus losing or
// stalling messages, and a rising unreached count requests to nodes that
// are gone or cut off (docs/cluster.md, "Cut off from NATS").
// It fails if the series are already registered.
func (m *Metrics) CountCluster(stats func() engine.ClusterStats) error {
	return m.reg.Register(&clusterCollector{stats: stats})
}

// clusterCollector reads a node's stats once per scrape.
type clusterCollector struct {
	stats func() engine.ClusterStats
}

// clusterDescs are the series of CountCluster, with how each is read
// from engine.ClusterStats.
var clusterDescs = []struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(s *engine.ClusterStats) float64
}{
	{prometheus.NewDesc("parlor_cluster_connected", "1 while the node is connected to the cluster (NATS up and the lease bucket answering), else 0.", nil, nil),
		prometheus.GaugeValue, func(s *engine.ClusterStats) float64 {
			if s.Connected {
				return 1
			}
			return 0
		}},
	{prometheus.NewDesc("parlor_cluster_leases", "Room leases this node holds now: the rooms it owns.", nil, nil),
		prometheus.GaugeValue, func(s *engine.ClusterStats) float64 { return float64(s.Leases) }},
	{prometheus.NewDesc("parlor_cluster_leases_lost_total", "Room leases that ended lost: another node took the room, or a renewal found its key gone or expired.", nil, nil),
		prometheus.CounterValue, func(s *engine.ClusterStats) float64 { return float64(s.LeasesLost) }},
	{prometheus.NewDesc("parlor_cluster_forwarded_total", "Requests (joins, sends, leaves, membership checks) sent to rooms' owners on other nodes.", nil, nil),
		prometheus.CounterValue, func(s *engine.ClusterStats) float64 { return float64(s.Forwarded) }},
	{prometheus.NewDesc("parlor_cluster_forward_unreached_total", "Requests to other nodes that reached no owner: nobody serves its subject, NATS was down, or a membership check went unanswered.", nil, nil),
		prometheus.CounterValue, func(s *engine.ClusterStats) float64 { return float64(s.ForwardUnreached) }},
	{prometheus.NewDesc("parlor_cluster_batches_published_total", "Batches of room events published to other nodes.", nil, nil),
		prometheus.CounterValue, func(s *engine.ClusterStats) float64 { return float64(s.BatchesPublished) }},
	{prometheus.NewDesc("parlor_cluster_batches_received_total", "Batches of room events received from other nodes.", nil, nil),
		prometheus.CounterValue, func(s *engine.ClusterStats) float64 { return float64(s.BatchesReceived) }},
	{prometheus.NewDesc("parlor_cluster_batch_gaps_total", "Batches from another node that arrived with numbers skipped since the one before (lost on the way), or numbered back.", nil, nil),
		prometheus.CounterValue, func(s *engine.ClusterStats) float64 { return float64(s.BatchGaps) }},
	{prometheus.NewDesc("parlor_cluster_silences_total", "Times this node was heard again after a silence other nodes may have taken for its death.", nil, nil),
		prometheus.CounterValue, func(s *engine.ClusterStats) float64 { return float64(s.Silences) }},
	{prometheus.NewDesc("parlor_cluster_nodes_gone_total", "Times a node this one watched was believed gone: silent for the node timeout, or said goodbye.", nil, nil),
		prometheus.CounterValue, func(s *engine.ClusterStats) float64 { return float64(s.NodesGone) }},
}

// Describe implements prometheus.Collector.
func (c *clusterCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range clusterDescs {
		ch <- d.desc
	}
}

// Collect implements prometheus.Collector.
func (c *clusterCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	for _, d := range clusterDescs {
		ch <- prometheus.MustNewConstMetric(d.desc, d.kind, d.value(&s))
	}
}
