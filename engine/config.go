package engine

import (
	"context"
	"net/http"
	"time"

	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
)

// Config configures an Engine. Only Authenticate is required; every other
// field documents the default its zero value stands for.
type Config struct {
	// Authenticate identifies the user behind an upgrade request, from a
	// cookie, a header or a query parameter such as ?token=. It is the only
	// source of user ids: no frame can name its sender. Return an error to
	// refuse the connection with 401, or an error wrapping ErrForbidden to
	// refuse it with 403. Required.
	Authenticate func(r *http.Request) (userID string, err error)

	// Credential, if set, names the credential an upgrade request
	// presents, once Authenticate has accepted it: the id of a sign-in
	// session or of a token, never the secret itself. The engine keeps it
	// with the connection so that DisconnectCredential can close the
	// connections opened with one credential, as a sign-out of one browser
	// must. Default: none, and DisconnectCredential closes nothing.
	Credential func(r *http.Request) string

	// AllowedOrigins lists extra browser origins allowed to connect,
	// compared exactly (scheme, host and port), for example
	// "http://localhost:5173". The request's own host is always allowed,
	// and so are requests without an Origin header (non-browser clients;
	// browsers always send one). Default: same host only.
	AllowedOrigins []string
	// CheckOrigin, if set, replaces the origin check entirely.
	CheckOrigin func(r *http.Request) bool

	// Secret keys room ids (see room.KeyedID). Every node of a cluster
	// must share it, and it must stay the same across restarts for ids to
	// stay stable. Default: a random secret per process, with a warning.
	Secret []byte

	// Logger receives structured logs. Default: warnings and errors as
	// JSON lines on standard error, so that what a host must act on (such
	// as a missing Secret) is seen; zap.NewNop() silences the engine.
	Logger *zap.Logger
	// Observer receives the engine's measurements: connections, frames,
	// bytes, batching, outboxes, request latency, rooms and resumes
	// (package metrics exports them to Prometheus). Default: none, and
	// nothing is measured.
	Observer Observer
	// Broker carries room broadcasts between nodes. Default: a
	// MemoryBroker owned (and closed) by the engine. Ignored when Cluster
	// is set.
	Broker Broker
	// Cluster, when set, makes the engine one node of a cluster that
	// shares rooms: one owner per room, joins, sends and leaves of other
	// nodes' sessions forwarded to it (see Cluster and docs/cluster.md;
	// package cluster builds one on NATS). The engine does not close it.
	// Default: none, a single node.
	Cluster Cluster

	// ReadLimit is the largest WebSocket message a client may send, in
	// bytes, after decompression. Larger messages close the connection
	// with 1009. Default: 64 KiB.
	ReadLimit int
	// Compression enables permessage-deflate. Default: off.
	Compression bool
	// MaxFramesPerMessage bounds the frames batched in one client
	// message. Default: 64.
	MaxFramesPerMessage int

	// HandshakeTimeout is how long a client has to send its connect frame
	// after the upgrade. Default: 10s.
	HandshakeTimeout time.Duration
	// HeartbeatInterval is how often the server pings. Default: 25s.
	HeartbeatInterval time.Duration
	// HeartbeatTimeout is how long the server waits after a ping for a
	// pong, or any other frame, before it closes the connection with 4000
	// (CloseHeartbeatTimeout). Default: 10s.
	HeartbeatTimeout time.Duration
	// WriteTimeout bounds each write to a client. Default: 10s.
	WriteTimeout time.Duration

	// OutboxBytes bounds the bytes queued for one client. A client that
	// falls further behind is closed with 4008 (slow consumer). Default:
	// 1 MiB.
	OutboxBytes int
	// RateLimit is the sustained number of frames per second a connection
	// may send. Default: 50. Negative disables rate limiting.
	RateLimit float64
	// RateBurst is the token-bucket burst for RateLimit. Default: 100.
	RateBurst int
	// RateStrikes is how many rate-limited frames in a burst (refilling
	// at one per second) are answered with rate_limited before the
	// connection is closed with 4029. Default: 20.
	RateStrikes int

	// MaxRoomsPerConn bounds the rooms one connection is in. Default: 64.
	MaxRoomsPerConn int
	// MaxRoomsPerUser bounds the running rooms one user's joins created,
	// over all their connections. A room counts against the user whose
	// join created it until it stops, which for an empty room is
	// Room.IdleTTL after its last member left; a join that would create
	// one more is refused with limit_exceeded before the room exists.
	// Joining rooms that already run is not limited by it. Default: 256.
	MaxRoomsPerUser int
	// MaxConnsPerUser bounds one user's simultaneous connections;
	// ConnLimitPolicy says what happens past it. Default: 16.
	MaxConnsPerUser int
	// ConnLimitPolicy says what happens when a user at MaxConnsPerUser
	// opens another connection. Default: ConnLimitEvictIdle, which closes
	// the user's most idle connection with 4010 (CloseEvicted);
	// ConnLimitRefuse answers the new one with 429 instead.
	ConnLimitPolicy ConnLimitPolicy
	// JoinTimeout bounds a join (Resolve and OnJoin) or a leave, including
	// the wait in the room's mailbox; past it the client gets unavailable,
	// and a join or leave still waiting in the mailbox is never applied.
	// Default: 10s.
	JoinTimeout time.Duration
	// ReplyHold bounds how long a frame waits behind a connection's
	// reply hold: after queuing a send to the mailbox of a busy room, the
	// reader keeps the connection's outbox for the send's reply, so that
	// the ack and the events queued meanwhile go out in one write. Once a
	// frame has waited ReplyHold (up to a quarter more) behind the hold,
	// what was queued is written and the reply goes out on its own when
	// it comes; a hold with nothing behind it delays nothing and is
	// kept. So a slow room handler delays the connection's other frames
	// by about this much at most. Default: 50ms, above a room's usual
	// wait for its store under load, where a shorter limit splits the
	// send's event and ack into two writes. Negative never holds for a
	// queued send's reply.
	ReplyHold time.Duration
	// MaxForwardedSends bounds, in a cluster, the sends of one connection
	// to one room whose owner is another node that await the owner's
	// answer at once; a send past it is answered rate_limited
	// (ErrRemoteBusy) and not forwarded. It only matters when RateLimit
	// is off or higher than the owner can answer. Default: 256.
	MaxForwardedSends int

	// Room configures every room the engine creates: mailbox size, idle
	// TTL, replay buffer and send dedup. Each zero field takes room.Config's
	// default: MailboxSize 256 operations, IdleTTL 30s, or
	// DefaultClusterIdleTTL (1s) on a cluster node except for the user
	// channels (negative disposes a room when its last member leaves),
	// ReplayEvents 256 (negative
	// disables the replay buffer), ReplayBytes 64 KiB, ReplayAge 2m,
	// DedupEntries 1024 (negative disables it), DedupBytes 256 KiB, Clock
	// the wall clock (tests set a roomtest.FakeClock). The
	// engine sets Fanout, Logger and OnExit itself; values given here are
	// ignored.
	Room room.Config

	// NotifyRate is the sustained number of notifications per second one
	// user may receive through Notify; past it (and past NotifyBurst),
	// Notify returns ErrNotifyRateLimited for that user alone. Default: 10.
	NotifyRate float64
	// NotifyBurst is the token-bucket burst for NotifyRate. Default: 20.
	NotifyBurst int
	// NotifyMaxBytes bounds the encoded payload of one notification;
	// larger ones are refused with ErrNotifyTooLarge. Default: 8 KiB.
	NotifyMaxBytes int

	// PresencePolicy decides whether viewer may see subject's status. It
	// is called when viewer subscribes to subject and again for every
	// change of subject's status before viewer is told, so a revoked
	// permission takes effect at the next change. It runs on the
	// presence goroutines and the viewer's user channel, so it must be
	// fast. Default: every user may see every user who is not hidden.
	PresencePolicy func(ctx context.Context, viewer, subject string) bool
	// PresenceAwayAfter is how long a user whose sessions sent no data
	// message stays online before turning away. Default: 5m.
	PresenceAwayAfter time.Duration
	// PresenceGrace is how long a user stays online or away after their
	// last session closed, so that a reconnect within it shows no
	// offline flicker. Default: 10s.
	PresenceGrace time.Duration
	// PresenceCoalesce is the coalescing window of status changes: a
	// user's status is evaluated at most once per window, whatever the
	// number of their sessions or of the frames they send. Default:
	// 500ms.
	PresenceCoalesce time.Duration
	// MaxPresenceWatch bounds the users one user may watch at once,
	// over all their sessions; a watch past it is refused with
	// limit_exceeded. Default: 256.
	MaxPresenceWatch int
	// PresenceWatchRate is the sustained number of users per second one
	// user may start watching (a user watched already does not count),
	// with a burst of MaxPresenceWatch; a watch past it is refused with
	// rate_limited, and nothing of it is applied. It bounds what a client
	// that watches and unwatches in a loop costs: on a cluster, each user
	// it starts watching is a subscription on NATS and a question to the
	// other nodes. Default: 16.
	PresenceWatchRate float64
	// PresenceHideRate is the sustained number of times per second one
	// user may change their hidden status with presence.hide, with a
	// burst of PresenceHideBurst; a change past it is refused with
	// rate_limited and not applied. A presence.hide that asks for the
	// status the user has already costs nothing, so a client that sends
	// it again after each rejoin is never refused. It bounds what a client
	// that hides and shows in a loop costs: every change is published to
	// the user's watchers and, on a cluster, is a view on NATS and may
	// take or let go of a subscription there. Default: 1.
	PresenceHideRate float64
}

// Defaults of Config, exported for documentation and tests.
const (
	DefaultReadLimit           = 64 << 10
	DefaultMaxFramesPerMessage = 64
	DefaultHandshakeTimeout    = 10 * time.Second
	DefaultHeartbeatInterval   = 25 * time.Second
	DefaultHeartbeatTimeout    = 10 * time.Second
	DefaultWriteTimeout        = 10 * time.Second
	DefaultOutboxBytes         = 1 << 20
	DefaultRateLimit           = 50
	DefaultRateBurst           = 100
	DefaultRateStrikes         = 20
	DefaultMaxRoomsPerConn     = 64
	DefaultMaxRoomsPerUser     = 256
	DefaultMaxConnsPerUser     = 16
	DefaultJoinTimeout         = 10 * time.Second
	DefaultMaxForwardedSends   = 256
	DefaultReplyHold           = 50 * time.Millisecond
)

// Defaults of the user channel and presence fields of Config.
const (
	DefaultNotifyRate        = 10
	DefaultNotifyBurst       = 20
	DefaultNotifyMaxBytes    = 8 << 10
	DefaultPresenceAwayAfter = 5 * time.Minute
	DefaultPresenceGrace     = 10 * time.Second
	DefaultPresenceCoalesce  = 500 * time.Millisecond
	DefaultMaxPresenceWatch  = 256
	DefaultPresenceWatchRate = 16
	DefaultPresenceHideRate  = 1
	// PresenceHideBurst is the burst of Config.PresenceHideRate.
	PresenceHideBurst = 5
)

// withDefaults returns c with zero fields replaced by their defaults.
func (c Config) withDefaults() Config {
	setInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	setDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	setInt(&c.ReadLimit, DefaultReadLimit)
	setInt(&c.MaxFramesPerMessage, DefaultMaxFramesPerMessage)
	setDur(&c.HandshakeTimeout, DefaultHandshakeTimeout)
	setDur(&c.HeartbeatInterval, DefaultHeartbeatInterval)
	setDur(&c.HeartbeatTimeout, DefaultHeartbeatTimeout)
	setDur(&c.WriteTimeout, DefaultWriteTimeout)
	setInt(&c.OutboxBytes, DefaultOutboxBytes)
	if c.RateLimit == 0 {
		c.RateLimit = DefaultRateLimit
	}
	setInt(&c.RateBurst, DefaultRateBurst)
	setInt(&c.RateStrikes, DefaultRateStrikes)
	setInt(&c.MaxRoomsPerConn, DefaultMaxRoomsPerConn)
	setInt(&c.MaxRoomsPerUser, DefaultMaxRoomsPerUser)
	setInt(&c.MaxConnsPerUser, DefaultMaxConnsPerUser)
	setDur(&c.JoinTimeout, DefaultJoinTimeout)
	setInt(&c.MaxForwardedSends, DefaultMaxForwardedSends)
	if c.ReplyHold == 0 {
		c.ReplyHold = DefaultReplyHold
	}
	if c.NotifyRate <= 0 {
		c.NotifyRate = DefaultNotifyRate
	}
	setInt(&c.NotifyBurst, DefaultNotifyBurst)
	setInt(&c.NotifyMaxBytes, DefaultNotifyMaxBytes)
	setDur(&c.PresenceAwayAfter, DefaultPresenceAwayAfter)
	setDur(&c.PresenceGrace, DefaultPresenceGrace)
	setDur(&c.PresenceCoalesce, DefaultPresenceCoalesce)
	setInt(&c.MaxPresenceWatch, DefaultMaxPresenceWatch)
	if c.PresenceWatchRate <= 0 {
		c.PresenceWatchRate = DefaultPresenceWatchRate
	}
	if c.PresenceHideRate <= 0 {
		c.PresenceHideRate = DefaultPresenceHideRate
	}
	if c.Logger == nil {
		c.Logger = defaultLogger()
	}
	return c
}
