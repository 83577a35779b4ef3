package clusterfault

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/parlorhq/parlor/cluster/lease"
)

// natsStats is what the NATS servers of a cluster did, summed over the
// servers, read from their monitoring endpoints (/varz, /connz, /subsz,
// /jsz): a benchmark takes one before and one after its run and reports
// the difference per operation.
type natsStats struct {
	// clientMsgs counts the messages the clients (the nodes) published:
	// core messages, requests and replies, and lease writes.
	clientMsgs int64
	// serverMsgs counts every message the servers received: the
	// clients', those passed between servers over routes (a message
	// between nodes on two servers, JetStream's replication) and the
	// servers' own.
	serverMsgs int64
	// leaseWrites counts the writes stored in the lease bucket (creates,
	// renewals, deletes), each replicated to every replica.
	leaseWrites int64
	// subChanges counts subscriptions inserted into and removed from the
	// servers' interest tables, those propagated over routes included.
	subChanges int64
	// cpu is the servers' CPU time.
	cpu time.Duration
}

// varz is the part of /varz natsStats reads.
type varz struct {
	InMsgs int64 `json:"in_msgs"`
}

// connz is the part of /connz natsStats reads.
type connz struct {
	Conns []struct {
		InMsgs int64 `json:"in_msgs"`
	} `json:"connections"`
}

// subsz is the part of /subsz natsStats reads.
type subsz struct {
	Inserts int64 `json:"num_inserts"`
	Removes int64 `json:"num_removes"`
}

// jsz is the part of /jsz?accounts=true&streams=true natsStats reads.
type jsz struct {
	Accounts []struct {
		Streams []struct {
			Name  string `json:"name"`
			State struct {
				LastSeq int64 `json:"last_seq"`
			} `json:"state"`
		} `json:"stream_detail"`
	} `json:"account_details"`
}

// leaseStream is the stream of the lease bucket.
const leaseStream = "KV_" + lease.DefaultBucket

// stats reads the servers' counters; a server that does not answer
// counts zero.
func (c *natsCluster) stats() natsStats {
	var st natsStats
	for _, s := range c.servers {
		base := fmt.Sprintf("http://127.0.0.1:%d", s.monitor)
		var v varz
		var cz connz
		var sz subsz
		var js jsz
		if getJSON(base+"/varz", &v) != nil || getJSON(base+"/connz?limit=1000", &cz) != nil ||
			getJSON(base+"/subsz", &sz) != nil || getJSON(base+"/jsz?accounts=true&streams=true", &js) != nil {
			continue
		}
		st.serverMsgs += v.InMsgs
		for _, cn := range cz.Conns {
			st.clientMsgs += cn.InMsgs
		}
		st.subChanges += sz.Inserts + sz.Removes
		for _, a := range js.Accounts {
			for _, str := range a.Streams {
				if str.Name == leaseStream {
					// Every replica stores every write: count one.
					st.leaseWrites = max(st.leaseWrites, str.State.LastSeq)
				}
			}
		}
		st.cpu += procCPU(s.p.cmd.Process.Pid)
	}
	return st
}

// sub returns what happened between earlier and st.
func (st natsStats) sub(earlier natsStats) natsStats {
	return natsStats{
		clientMsgs:  st.clientMsgs - earlier.clientMsgs,
		serverMsgs:  st.serverMsgs - earlier.serverMsgs,
		leaseWrites: st.leaseWrites - earlier.leaseWrites,
		subChanges:  st.subChanges - earlier.subChanges,
		cpu:         st.cpu - earlier.cpu,
	}
}

// report adds the figures per operation (ops of them in elapsed) to b's
// metrics: the nodes' NATS messages, all the servers' messages, lease
// writes and subscription changes per operation, and the servers' CPU
// as a share of one core.
func (st natsStats) report(b interface{ ReportMetric(float64, string) }, ops int64, elapsed time.Duration, unit string) {
	if ops <= 0 || elapsed <= 0 {
		return
	}
	n := float64(ops)
	b.ReportMetric(float64(st.clientMsgs)/n, "node-msgs/"+unit)
	b.ReportMetric(float64(st.serverMsgs)/n, "server-msgs/"+unit)
	b.ReportMetric(float64(st.leaseWrites)/n, "lease-writes/"+unit)
	b.ReportMetric(float64(st.subChanges)/n, "sub-changes/"+unit)
	b.ReportMetric(100*st.cpu.Seconds()/elapsed.Seconds(), "nats-cpu-%")
}

// getJSON decodes the JSON document at url into v.
func getJSON(url string, v any) error {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// natsStats reads the counters of c's NATS servers; zero without NATS
// (a single node).
func (c *parlor) natsStats() natsStats {
	if c.nats == nil {
		return natsStats{}
	}
	return c.nats.stats()
}
