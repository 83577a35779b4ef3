package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/parlorhq/parlor/cluster"
)

// ---- Many nodes on NATS ----
//
// With -nats the arcade is one node of a cluster (docs/cluster.md): the
// nodes share a NATS cluster with JetStream, which carries the rooms
// between them and holds the room leases and the sign-in sessions, and
// one PostgreSQL database (-postgres) for the chat history and the
// matches. They must also share the server key (the "secret" file of the
// data directory), from which the room ids derive.

// clusterStartTimeout bounds joining the cluster at start-up: connecting
// to NATS and creating (or binding to) the JetStream buckets.
const clusterStartTimeout = 30 * time.Second

// clusterReplicas is the replica count of the JetStream buckets on a NATS
// cluster of at least that many servers.
const clusterReplicas = 3

// clusterNode is the arcade's membership of a cluster: the NATS
// connection, the cluster node the engine runs on, and the shared
// sessions.
type clusterNode struct {
	nc       *nats.Conn
	node     *cluster.Node
	sessions *kvSessions
}

// joinCluster connects to the NATS servers natsURLs (comma separated) as
// node name and starts the cluster node. replicas is the replica count of
// the lease and session buckets; 0 picks clusterReplicas when the server
// is part of a NATS cluster that knows at least that many servers, else 1.
func joinCluster(natsURLs, name string, replicas int, sessionTTL time.Duration, log *zap.Logger) (*clusterNode, error) {
	nc, err := cluster.Dial(cluster.DialConfig{URL: natsURLs, Node: name, Logger: log.Named("nats")})
	if err != nil {
		return nil, fmt.Errorf("arcade: nats: %w", err)
	}
	if replicas <= 0 {
		replicas = 1
		if nc.ConnectedClusterName() != "" && len(nc.Servers()) >= clusterReplicas {
			replicas = clusterReplicas
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterStartTimeout)
	defer cancel()
	node, err := cluster.NewNode(ctx, nc, cluster.NodeConfig{Name: name, LeaseReplicas: replicas, Logger: log.Named("cluster")})
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("arcade: cluster node: %w", err)
	}
	sessions, err := openKVSessions(ctx, nc, sessionTTL, replicas)
	if err != nil {
		_ = node.Close()
		nc.Close()
		return nil, fmt.Errorf("arcade: session bucket: %w", err)
	}
	log.Info("joined the cluster", zap.String("node", name), zap.String("nats", nc.ConnectedUrlRedacted()), zap.Int("replicas", replicas))
	return &clusterNode{nc: nc, node: node, sessions: sessions}, nil
}

// Close leaves the cluster: the node, then the NATS connection. Shut the
// engine down first, so that its rooms are handed over.
func (c *clusterNode) Close() error {
	err := c.node.Close()
	c.nc.Close()
	return err
}

// defaultNodeName is the host name and a random suffix, reduced to the
// characters a node name may hold, so that two processes never share one.
func defaultNodeName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "arcade"
	}
	host = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, host)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return strings.TrimLeft(host, "_") + "-" + hex.EncodeToString(b)
}

// errNoPostgres refuses -nats without -postgres: the nodes must share
// their logs.
var errNoPostgres = errors.New("arcade: -nats needs -postgres: the nodes of a cluster share one database")
