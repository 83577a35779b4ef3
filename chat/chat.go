package chat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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

	sweeper *sweeper // nil without retention rules
}

// New returns a Chat configured by cfg. When cfg.Retention sets a rule,
// it starts a sweeper: call Close to stop it.
func New(cfg Config) *Chat {
	cfg = cfg.withDefaults()
	c := &Chat{cfg: cfg, store: cfg.Store, inboxes: make(map[string]*inbox)}
	c.sweeper = startSweeper(c)
	return c
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

// opCtx bounds one store or hook call.
func (c *Chat) opCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), c.cfg.OpTimeout)
}

// newID returns a random 128-bit id in hex.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// nowMillis is the server's clock in Unix milliseconds.
func nowMillis() int64 { return time.Now().UnixMilli() }
