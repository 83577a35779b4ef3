package engine

import (
	"context"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
)

// Admin controls: what a host does to one user or one room from outside a
// session, such as signing a user out everywhere, banning them, or closing
// a room that misbehaves. Every method is safe from any goroutine.

// ErrNoSuchRoom is returned by CloseRoom when no room with that id runs on
// this engine.
var ErrNoSuchRoom = errors.New("engine: no such room")

// maxCloseReason is the longest close reason a close frame can carry, in
// bytes (RFC 6455: 125 bytes of payload, two of them the code).
const maxCloseReason = 123

// DisconnectUser closes every connection of user on this engine with code
// and reason, at once, dropping the frames still queued for them. On a
// cluster node (Config.Cluster) it closes those on every other node too:
// the order goes to them on the user's topic, and each closes the user's
// connections it holds as soon as it gets it. It is
// sign-out everywhere, and the second half of a ban (the first is making
// Authenticate refuse the user). Upgrades of the user in progress when it
// is called are closed as soon as they complete, so revoke the user's
// credentials first and then call DisconnectUser: no connection that was
// authorized before it can outlive it.
//
// Use CloseSignedOut for a sign-out, ClosePolicy for a ban: clients do not
// reconnect after either. A code that a server may not send (outside
// 1000-1003, 1007-1011 and 3000-4999) is replaced by ClosePolicy; a
// reason longer than 123 bytes is cut. It returns the number of
// connections it closed on this node.
func (e *Engine) DisconnectUser(user string, code uint16, reason string) int {
	order := closeOrder{all: true, code: closeCode(code), reason: closeReason(reason)}
	e.publishDisconnect(user, order)
	return e.disconnect(order, user)
}

// DisconnectCredential is DisconnectUser for the connections of user that
// were opened with one credential, as named by Config.Credential: a
// sign-out of one browser, or the revocation of one token. The user's
// other connections stay open. Without Config.Credential it closes
// nothing. On a cluster node, as DisconnectUser, it closes them on every
// node.
func (e *Engine) DisconnectCredential(user, credential string, code uint16, reason string) int {
	if e.cfg.Credential == nil {
		return 0
	}
	order := closeOrder{cred: credential, code: closeCode(code), reason: closeReason(reason)}
	e.publishDisconnect(user, order)
	return e.disconnect(order, user)
}

// RenewCredential moves the connections of user opened with credential
// from to credential to, without closing them, for a host that replaces
// a credential (a refreshed token with a new id) while its connections
// stay open. Later calls of DisconnectCredential for to then close them.
// The connection's user id never changes: it was fixed when the
// connection was upgraded, and every room the connection is in admitted
// that user. On a cluster node, as DisconnectCredential, it moves them on
// every node: the renewal goes to the other nodes on the user's topic,
// behind any order this node sent them before. It returns the number of
// connections it moved on this node.
func (e *Engine) RenewCredential(user, from, to string) int {
	e.publishRenew(user, from, to)
	return e.renew(user, from, to)
}

// renew moves this node's connections of user, and the disconnect orders
// left for its upgrades in progress, from credential from to to.
func (e *Engine) renew(user, from, to string) int {
	n := 0
	e.userConns.update(user, func(m map[string]*userConns) {
		uc := m[user]
		if uc == nil {
			return
		}
		for _, s := range uc.sessions {
			if s.cred == from {
				s.cred = to
				n++
			}
		}
		if uc.slots > len(uc.sessions) {
			uc.pending.rename(from, to) // for the upgrades in progress
		}
	})
	return n
}

// disconnect closes the sessions of user that order covers, and leaves the
// order for the user's upgrades in progress.
func (e *Engine) disconnect(order closeOrder, user string) int {
	var victims []*session
	e.userConns.update(user, func(m map[string]*userConns) {
		uc := m[user]
		if uc == nil {
			return
		}
		for _, s := range uc.sessions {
			if order.covers(s.cred) {
				victims = append(victims, s)
			}
		}
		if uc.slots > len(uc.sessions) {
			uc.pending.add(order)
		}
	})
	n := 0
	for _, s := range victims {
		if s.out.isClosed() {
			continue // closing already
		}
		s.log.Info("connection closed by the host", zap.Uint16("code", order.code), zap.String("reason", order.reason))
		s.abort(order.code, order.reason)
		n++
	}
	return n
}

// closeCode returns code if a server may send it in a close frame, and
// ClosePolicy otherwise.
func closeCode(code uint16) uint16 {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1011, code >= 3000 && code <= 4999:
		return code
	}
	return ClosePolicy
}

// closeReason cuts reason to what a close frame can carry, on a rune
// boundary, and replaces invalid UTF-8, which clients must refuse.
func closeReason(reason string) string {
	reason = strings.ToValidUTF8(reason, "?")
	if len(reason) <= maxCloseReason {
		return reason
	}
	cut := maxCloseReason
	for cut > 0 && !utf8.RuneStart(reason[cut]) {
		cut--
	}
	return reason[:cut]
}

// closeOrder is one call of DisconnectUser (all) or DisconnectCredential.
type closeOrder struct {
	seq    uint64
	all    bool
	cred   string
	code   uint16
	reason string
}

// covers reports whether the order closes a connection opened with cred.
func (o closeOrder) covers(cred string) bool { return o.all || o.cred == cred }

// pendingOrders are the disconnect orders that upgrades in progress must
// still apply, numbered in the order they were issued. Only the latest
// order of each kind matters: an upgrade is covered by an order issued
// after it took its slot, and the latest is the last issued. So there are
// at most one order for all connections and one per credential.
type pendingOrders struct {
	next  uint64
	all   *closeOrder
	creds map[string]closeOrder
	// renames are the RenewCredential calls issued while upgrades were in
	// progress, numbered as the orders are: an upgrade applies those
	// issued after it took its slot to its own credential (renamed).
	renames []credRename
}

// credRename is one RenewCredential, numbered.
type credRename struct {
	seq      uint64
	from, to string
}

// add records order, numbering it.
func (p *pendingOrders) add(order closeOrder) {
	order.seq = p.next
	p.next++
	if order.all {
		p.all = &order
		return
	}
	if p.creds == nil {
		p.creds = make(map[string]closeOrder)
	}
	p.creds[order.cred] = order
}

// covering returns an order issued at or after ticket that covers a
// connection opened with cred.
func (p *pendingOrders) covering(cred string, ticket uint64) (closeOrder, bool) {
	if p.all != nil && p.all.seq >= ticket {
		return *p.all, true
	}
	if o, ok := p.creds[cred]; ok && o.seq >= ticket {
		return o, true
	}
	return closeOrder{}, false
}

// rename moves an order for credential from to credential to, keeping
// the later of two orders for to, and records the renaming for the
// upgrades in progress.
func (p *pendingOrders) rename(from, to string) {
	if o, ok := p.creds[from]; ok {
		delete(p.creds, from)
		o.cred = to
		if cur, ok := p.creds[to]; !ok || cur.seq < o.seq {
			p.creds[to] = o
		}
	}
	p.renames = append(p.renames, credRename{seq: p.next, from: from, to: to})
	p.next++
}

// renamed returns cred as the renamings issued at or after ticket left it.
func (p *pendingOrders) renamed(cred string, ticket uint64) string {
	for _, r := range p.renames {
		if r.seq >= ticket && r.from == cred {
			cred = r.to
		}
	}
	return cred
}

// clear forgets the orders; the numbering goes on.
func (p *pendingOrders) clear() {
	p.all, p.creds, p.renames = nil, nil, nil
}

// RoomInfo describes one room running on this engine.
type RoomInfo struct {
	// ID is the room id.
	ID string
	// Kind is the module kind the room runs.
	Kind string
	// Members counts the users in the room.
	Members int
	// Creator is the user whose join created the room.
	Creator string
}

// Rooms lists the rooms running on this engine whose module kind is kind,
// or every room when kind is empty, sorted by kind and id. It asks each
// room for its member count in turn, through its mailbox, so it waits
// behind the work the rooms already have; rooms that stop meanwhile are
// left out. If ctx ends first, it returns the rooms counted so far with
// ctx's error.
func (e *Engine) Rooms(ctx context.Context, kind string) ([]RoomInfo, error) {
	rooms := e.rooms.values()
	rooms = slices.DeleteFunc(rooms, func(r *room.Room) bool { return kind != "" && r.Kind() != kind })
	slices.SortFunc(rooms, func(a, b *room.Room) int {
		if c := strings.Compare(a.Kind(), b.Kind()); c != 0 {
			return c
		}
		return strings.Compare(a.ID(), b.ID())
	})
	out := make([]RoomInfo, 0, len(rooms))
	for _, r := range rooms {
		info := RoomInfo{ID: r.ID(), Kind: r.Kind()}
		info.Creator, _ = e.creators.load(info.ID)
		err := r.Do(ctx, func() { info.Members = len(r.Members()) })
		if ctxErr := ctx.Err(); ctxErr != nil {
			return out, ctxErr
		}
		if err != nil {
			continue // stopped meanwhile
		}
		out = append(out, info)
	}
	return out, nil
}

// CloseRoom stops the room with this id: its members get a left frame
// with reason "closed" and OnLeave runs for each with room.LeaveClosed,
// then OnDispose runs with room.DisposeClosed. A later join starts a new
// room with the same id. CloseRoom waits until the room has stopped, or
// until ctx ends and returns ctx's error. It returns ErrNoSuchRoom if no
// such room runs here.
func (e *Engine) CloseRoom(ctx context.Context, id string) error {
	r, ok := e.rooms.load(id)
	if !ok {
		return ErrNoSuchRoom
	}
	// Do fails only when ctx ends or the room is stopping already.
	if err := r.Do(ctx, r.Close); err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	select {
	case <-r.Done():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
