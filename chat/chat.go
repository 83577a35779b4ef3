package chat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"sync"
	"time"

	"github.com/parlorhq/parlor/room"
)

// Chat holds the chat modules' shared state: the configuration, the store
// and the registry of open inboxes. Create it with New and register its
// modules on an engine.
type Chat struct {
	cfg   Config
	store Store

	inboxMu sync.RWMutex
	inboxes map[string]*inbox // by user

	// creating serializes the group creations of each user (a user
	// hashes to one of the locks), so that the count of groups the user
	// created cannot be passed by creating several at once.
	creating [64]sync.Mutex
	seed     maphash.Seed

	written *dailyBytes // Config.DailyBytesPerUser

	// The running DM rooms, for AddGameNote (gamenote.go).
	dmLocks [64]sync.Mutex
	dmMu    sync.Mutex
	dmRooms map[string]dmRoom

	sweeper *sweeper // nil without retention rules

	deadlines opDeadlines // the requests' shared deadline (opctx.go)
}

// New returns a Chat configured by cfg. When cfg.Retention sets a rule,
// it starts a sweeper: call Close to stop it.
func New(cfg Config) *Chat {
	cfg = cfg.withDefaults()
	c := &Chat{
		cfg:     cfg,
		store:   cfg.Store,
		inboxes: make(map[string]*inbox),
		seed:    maphash.MakeSeed(),
		written: newDailyBytes(cfg.DailyBytesPerUser),
		dmRooms: make(map[string]dmRoom),
	}
	c.sweeper = startSweeper(c)
	return c
}

// creatorLock returns the lock of user's group creations.
func (c *Chat) creatorLock(user string) *sync.Mutex {
	return &c.creating[maphash.String(c.seed, user)%uint64(len(c.creating))]
}

// Store returns the store the chat uses, so a host can read history or
// conversations outside a session (for example over HTTP).
func (c *Chat) Store() Store { return c.store }

// DM returns the KindDM module.
func (c *Chat) DM() room.Module { return dmModule{c} }

// Group returns the KindGroup module.
func (c *Chat) Group() room.Module { return groupModule{c} }

// Inbox returns the KindInbox module.
func (c *Chat) Inbox() room.Module { return inboxModule{c} }

// Modules returns the three chat modules.
func (c *Chat) Modules() []room.Module { return []room.Module{c.DM(), c.Group(), c.Inbox()} }

// Registrar is where modules are registered; *engine.Engine is one.
type Registrar interface {
	Register(room.Module) error
}

// Register registers the three chat modules on r.
func (c *Chat) Register(r Registrar) error {
	for _, m := range c.Modules() {
		if err := r.Register(m); err != nil {
			return err
		}
	}
	return nil
}

// storeErr wraps the error of a store call made for what. Once the
// request's deadline has passed, whatever the store said, it is
// ErrTimeout.
func storeErr(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return ErrTimeout
	}
	return fmt.Errorf("chat: %s: %w", what, err)
}

// newID returns a random 128-bit id in hex.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// nowMillis is the server's clock in Unix milliseconds.
func nowMillis() int64 { return time.Now().UnixMilli() }
