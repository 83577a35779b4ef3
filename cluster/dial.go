package cluster

import (
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
)

// Defaults for [DialConfig].
const (
	// DefaultURL is the NATS server a node dials when DialConfig.URL is empty.
	DefaultURL = nats.DefaultURL
	// DefaultReconnectWait is the pause between reconnect attempts.
	DefaultReconnectWait = 250 * time.Millisecond
	// DefaultConnectTimeout bounds the first connection's TCP dial.
	DefaultConnectTimeout = 2 * time.Second
	// DefaultPingInterval is how often the connection pings its server
	// when it has nothing else to say. A connection that died without a
	// word (a host gone, a cable out) ends at the tick after its second
	// unanswered ping, 4 to 6 s after its last answer, where nats.go's own
	// default, 2 minutes, would leave the node believing itself connected
	// for up to 6 minutes. A busy node's writes to such a connection
	// block once the kernel's buffers are full, and nats.go holds the
	// connection's lock while it writes (its ping timer, Publish and
	// IsConnected all wait): so a write is given two ping intervals, 4 s,
	// and a write that takes longer replaces the connection at once,
	// where nats.go's default write timeout, one minute, would block the
	// node that long.
	DefaultPingInterval = 2 * time.Second
)

// ErrNoNode is returned by [Dial] when DialConfig.Node is empty.
var ErrNoNode = errors.New("cluster: node name required")

// DialConfig says how a node connects to NATS.
type DialConfig struct {
	// URL lists the NATS servers, comma separated. Empty means DefaultURL.
	URL string
	// Node names this node. It is the connection name servers show, and
	// it must be set.
	Node string
	// ReconnectWait is the pause between reconnect attempts. Zero means
	// DefaultReconnectWait.
	ReconnectWait time.Duration
	// ConnectTimeout bounds each TCP dial. Zero means
	// DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// PingInterval is how often the connection pings its server; two
	// unanswered pings end it, and it reconnects, as does a write that
	// takes two intervals. Zero means DefaultPingInterval.
	PingInterval time.Duration
	// InOrder tries the servers of URL in the order given, at the first
	// connection and at every reconnect, instead of nats.go's default
	// random order (false). List the NATS server on the node's own host
	// first: every message between two nodes then crosses at most the one
	// route between their servers, and a node never takes a detour
	// through a third server (see docs/cluster.md, "Latency").
	InOrder bool
	// Logger receives disconnects, reconnects and asynchronous errors. Nil
	// means no logging.
	Logger *zap.Logger
}

func (c DialConfig) withDefaults() DialConfig {
	if c.URL == "" {
		c.URL = DefaultURL
	}
	if c.ReconnectWait <= 0 {
		c.ReconnectWait = DefaultReconnectWait
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.PingInterval <= 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

// Dial connects to NATS with the reconnect policy the cluster packages
// expect:
//   - after the first connection it reconnects forever, every
//     ReconnectWait, and resubscribes by itself;
//   - while it is disconnected nothing is buffered: publishes, requests and
//     KV writes fail at once, so the engine refuses sends with
//     codec.CodeUnavailable instead of holding them for an unknown time;
//   - the first connection is not retried: Dial returns its error;
//   - it pings its server every PingInterval, and a connection whose
//     pings go unanswered twice is dropped and reconnected.
//
// The caller owns the connection and closes it after the broker, lease
// manager and forwarding server that use it.
func Dial(cfg DialConfig) (*nats.Conn, error) {
	if cfg.Node == "" {
		return nil, ErrNoNode
	}
	cfg = cfg.withDefaults()
	log := cfg.Logger.With(zap.String("node", cfg.Node))
	opts := []nats.Option{
		nats.Name(cfg.Node),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(cfg.ReconnectWait),
		nats.Timeout(cfg.ConnectTimeout),
		nats.ReconnectBufSize(-1),
		nats.PingInterval(cfg.PingInterval),
		nats.MaxPingsOutstanding(2),
		nats.FlusherTimeout(2 * cfg.PingInterval),
		nats.ReconnectOnFlusherError(),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("nats disconnected", zap.Error(err))
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("nats reconnected", zap.String("server", nc.ConnectedUrlRedacted()))
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			if sub != nil {
				log.Warn("nats async error", zap.String("subject", sub.Subject), zap.Error(err))
				return
			}
			log.Warn("nats async error", zap.Error(err))
		}),
	}
	if cfg.InOrder {
		opts = append(opts, nats.DontRandomize())
	}
	return nats.Connect(cfg.URL, opts...)
}
