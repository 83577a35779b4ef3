package chat

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// Config configures the chat modules. Every field is optional and
// documents the default its zero value stands for.
type Config struct {
	// Store persists conversations. Default: a new MemoryStore, so nothing
	// survives a restart; use chat/boltstore or your own Store in
	// production.
	Store Store

	// CanMessage decides whether user from may talk to user to. It is
	// called when from opens a direct conversation with to (the join is
	// refused), on every message from sends in it (so a block takes effect
	// at once), and when from adds to to a group. Return nil to allow. A
	// *codec.Error reaches the client as is; any other error refuses with
	// ErrNotAllowed (forbidden). It runs on the joining connection's or
	// the room's goroutine, so it must be fast. Default: any two distinct
	// users may talk (nobody may open a conversation with themselves).
	CanMessage func(ctx context.Context, from, to string) error
	// Moderate runs before a message or an edit is stored. It may rewrite
	// d.Text, or reject the text by returning an error: a *codec.Error
	// reaches the client as is, any other error as ErrModerated. A
	// rewritten text must still pass the text rules. It runs on the room
	// goroutine. The retry of a message or edit already stored (same
	// client message id) may reach it again; the stored entry is then the
	// reply, whatever it returns. Default: none.
	Moderate func(ctx context.Context, d *Draft) error
	// AfterStore runs after an entry (message, edit, delete or members
	// change) is stored and broadcast, and before the author's ack, on
	// the room goroutine: hand slow work such as push notifications to a
	// queue (ctx ends when the call returns). Default: none.
	AfterStore func(ctx context.Context, s Stored)
	// Notifier, if set, tells users of a new conversation
	// (EventNewConversation): the other user of a direct conversation
	// when its first entry is stored (unless it is a game note, whose
	// challenge the games module announces), and the users a group change adds
	// (its creation included). A user whose inbox is open is not told
	// again: the inbox was. Pass the *engine.Engine (its user channel,
	// with its per-user rate and size bounds). Default: nobody is told.
	Notifier Notifier
	// Relay carries inbox updates between the nodes of a cluster: a
	// conversation sends each member's new state to the member's inbox
	// on whichever node runs it. Pass the *engine.Engine when it has an
	// engine.Config.Cluster. Every member of a changed conversation is
	// then sent an update, open inbox or not (docs/cluster.md, "Chat
	// inboxes"). Default: none: an inbox gets live updates from the
	// conversations of its own node, which on a single node is all of
	// them.
	Relay Relay

	// MaxTextLen bounds a message's text in bytes (after trimming white
	// space). Default: 4000.
	MaxTextLen int
	// HistoryOnJoin is how many of the newest log entries a join's
	// snapshot holds. Default: 50; negative: none.
	HistoryOnJoin int
	// PageLimit caps the entries one history request returns. Default:
	// 100.
	PageLimit int
	// ReplayLimit caps the log entries a resuming client is sent from the
	// store when it missed more than the room's replay buffer holds; a
	// client that missed more gets a fresh snapshot (recovered false) and
	// pages through history. Default: 200. Negative: never replay from
	// the store.
	ReplayLimit int
	// MaxGroupMembers caps a group's members, the creator included.
	// Default: 100.
	MaxGroupMembers int
	// MaxGroupName bounds a group's name in bytes. Default: 100.
	MaxGroupName int
	// InboxLimit caps the conversations an inbox snapshot lists.
	// Default: 200.
	InboxLimit int
	// UnreadCap is where unread counts stop counting: clients show "99+"
	// style badges. Default: 100.
	UnreadCap int

	// TypingTTL is how long a typing indicator lasts without a refresh.
	// Clients are told it (expires_in) and expire indicators themselves;
	// the server also sends a stop when it passes. Default: 5s.
	TypingTTL time.Duration
	// TypingThrottle is the shortest interval between two typing
	// broadcasts for one user; refreshes in between only extend the TTL.
	// Default: 2s.
	TypingThrottle time.Duration

	// MessageRate is the sustained rate, per user and conversation, of
	// writes (send, edit, delete and group changes); more get
	// rate_limited. Default: 10 per second. Negative: no limit.
	MessageRate float64
	// MessageBurst is the burst allowed above MessageRate. Default: 20.
	MessageBurst int

	// MaxGroupsPerUser caps the groups one user may have created: those
	// the store holds with the user as creator (Store.GroupsCreated),
	// including groups the user has since left. Creating one more is
	// refused with ErrTooManyGroups (limit_exceeded) before anything is
	// stored. Default: 100. Negative: no limit.
	MaxGroupsPerUser int
	// DailyBytesPerUser caps the bytes of text one user may write per
	// UTC day (from 00:00 UTC): the text of their messages and edits, as
	// stored, and the names of the groups they create or rename. A write
	// that would pass it is refused with ErrDailyBytes (limit_exceeded)
	// and not stored; deleting gives nothing back. The count is kept in memory
	// by each node: it restarts from zero when the process restarts, and
	// counts only the writes of the rooms the node runs. Default: 1 MiB.
	// Negative: no limit.
	DailyBytesPerUser int

	// OpTimeout bounds the store and hook calls made for one request,
	// together: they share one deadline, and a request that passes it
	// fails with ErrTimeout (unavailable). An append that was under way
	// when it passed is not acked or broadcast, and the room closes so
	// that it reloads the log as stored (docs/chat.md, "Timeouts").
	// Requests that start within 5 ms of each other share one deadline
	// when OpTimeout is at least 500 ms, so a request may get up to 5 ms
	// more. Default: 10s.
	OpTimeout time.Duration
	// Logger logs what happens outside rooms (group creation, inbox
	// delivery). Rooms log through the engine's logger. Message text is
	// never logged. Default: no logging.
	Logger *zap.Logger

	// Stored data: retention (docs/chat.md, "Retention").

	// Retention bounds how long conversation logs are kept, per kind,
	// and how often a sweeper trims them. Default: every log is kept
	// forever and no sweeper runs.
	Retention Retention
}

// Defaults of Config.
const (
	DefaultMaxTextLen      = 4000
	DefaultHistoryOnJoin   = 50
	DefaultPageLimit       = 100
	DefaultReplayLimit     = 200
	DefaultMaxGroupMembers = 100
	DefaultMaxGroupName    = 100
	DefaultInboxLimit      = 200
	DefaultUnreadCap       = 100
	DefaultTypingTTL       = 5 * time.Second
	DefaultTypingThrottle  = 2 * time.Second
	DefaultMessageRate     = 10
	DefaultMessageBurst    = 20
	DefaultOpTimeout       = 10 * time.Second
)

// Defaults of Config's per-user limits.
const (
	DefaultMaxGroupsPerUser  = 100
	DefaultDailyBytesPerUser = 1 << 20
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
	if c.Store == nil {
		c.Store = NewMemoryStore()
	}
	setInt(&c.MaxTextLen, DefaultMaxTextLen)
	if c.HistoryOnJoin == 0 {
		c.HistoryOnJoin = DefaultHistoryOnJoin
	}
	setInt(&c.PageLimit, DefaultPageLimit)
	if c.ReplayLimit == 0 {
		c.ReplayLimit = DefaultReplayLimit
	}
	setInt(&c.MaxGroupMembers, DefaultMaxGroupMembers)
	setInt(&c.MaxGroupName, DefaultMaxGroupName)
	setInt(&c.InboxLimit, DefaultInboxLimit)
	setInt(&c.UnreadCap, DefaultUnreadCap)
	setDur(&c.TypingTTL, DefaultTypingTTL)
	setDur(&c.TypingThrottle, DefaultTypingThrottle)
	if c.MessageRate == 0 {
		c.MessageRate = DefaultMessageRate
	}
	setInt(&c.MessageBurst, DefaultMessageBurst)
	if c.MaxGroupsPerUser == 0 {
		c.MaxGroupsPerUser = DefaultMaxGroupsPerUser
	}
	if c.DailyBytesPerUser == 0 {
		c.DailyBytesPerUser = DefaultDailyBytesPerUser
	}
	setDur(&c.OpTimeout, DefaultOpTimeout)
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}

	// Stored data: retention.
	c.Retention = c.Retention.withDefaults()
	return c
}
