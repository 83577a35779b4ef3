package engine

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/parlorhq/parlor/codec"
)

// After a silence that the other nodes may have taken for its death, a
// node asks the owner of each room its sessions are in which of those
// memberships it still holds (ClusterChecker), before it moves any: an
// owner that did not believe the node gone kept them. The cluster layer
// holds none of an owner whose frames to this node were lost on the way.
// Only the others move (resurfaced).

// maxCheckMembers bounds the memberships of one check: a node with more
// in the rooms of one owner asks in several, one after the other.
const maxCheckMembers = 1024

// maxConcurrentChecks bounds the checks an owner answers at once; one
// past it waits for a turn as long as its asker waits, and is refused
// (errTooManyChecks) if none comes: its memberships move.
const maxConcurrentChecks = 8

// checkLookers is how many of a check's rooms an owner looks at at once.
const checkLookers = 8

// judgedMemory is how long an owner answers every check of a node it
// believed gone with "none held": its sessions' leaves from its rooms
// may still be on their way through the rooms' mailboxes.
const judgedMemory = time.Minute

// errTooManyChecks: the owner answered maxConcurrentChecks checks for as
// long as the asker waits.
var errTooManyChecks = &codec.Error{Code: codec.CodeUnavailable, Message: "engine: too many membership checks at once"}

// judgedNodes records when this node last believed each node gone.
type judgedNodes struct {
	mu sync.Mutex
	at map[string]time.Time
}

// note records that node was believed gone now.
func (j *judgedNodes) note(node string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.at == nil {
		j.at = make(map[string]time.Time)
	}
	now := time.Now()
	for n, t := range j.at {
		if now.Sub(t) >= judgedMemory {
			delete(j.at, n)
		}
	}
	j.at[node] = now
}

// since reports whether node was believed gone at t or later, or within
// judgedMemory before t.
func (j *judgedNodes) since(node string, t time.Time) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	at, ok := j.at[node]
	return ok && at.After(t.Add(-judgedMemory))
}

// Check implements ClusterCheckHandler. While this node shuts down it
// holds none: its rooms are handed over.
func (c clusterSide) Check(ck *ClusterCheck, done func(held []int, err error)) {
	e := c.e
	if len(ck.Members) > maxCheckMembers || ck.Node == "" || ck.Wait < 0 {
		done(nil, ErrBadForward)
		return
	}
	if e.shutting.Load() {
		done(nil, nil)
		return
	}
	wait := ck.Wait
	if wait == 0 || wait > e.cfg.JoinTimeout {
		wait = e.cfg.JoinTimeout
	}
	e.wg.Add(1)
	go func() { // off the caller's goroutine: the check waits for rooms
		defer e.wg.Done()
		ctx, cancel := context.WithTimeout(e.opsCtx, wait)
		defer cancel()
		select {
		case e.checkSlots <- struct{}{}:
		case <-ctx.Done():
			done(nil, errTooManyChecks)
			return
		}
		held := e.heldMembers(ctx, ck)
		<-e.checkSlots
		done(held, nil)
	}()
}

// heldMembers returns the indices of ck's memberships that this node
// holds, in order: the member session, of ck.Node, is in the room, which
// runs here, once the operations already queued in the room have run (a
// disconnect queued before the look counts). Each room is looked at once,
// whatever the number of its members asked about, checkLookers rooms at
// a time. None is held if ctx ends first, or if this node believed
// ck.Node gone lately or while it looked; a node judged gone whose
// sessions' disconnects are not queued yet when a room is looked at is
// held there, and the left frames those disconnects send reach the
// member's node afterwards.
func (e *Engine) heldMembers(ctx context.Context, ck *ClusterCheck) []int {
	start := time.Now()
	if e.judged.since(ck.Node, start) {
		return nil
	}
	byRoom := make(map[string][]int)
	var rooms []string
	for i, m := range ck.Members {
		if byRoom[m.Room] == nil {
			rooms = append(rooms, m.Room)
		}
		byRoom[m.Room] = append(byRoom[m.Room], i)
	}
	var (
		mu      sync.Mutex
		held    []int
		unknown bool // a room could not be looked at in time
		next    = make(chan string)
		wg      sync.WaitGroup
	)
	for range min(checkLookers, len(rooms)) {
		wg.Go(func() {
			for id := range next {
				in, err := e.heldIn(ctx, id, ck.Node, ck.Members, byRoom[id])
				mu.Lock()
				held = append(held, in...)
				unknown = unknown || err != nil
				mu.Unlock()
			}
		})
	}
	for _, id := range rooms {
		select {
		case next <- id:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	if unknown || ctx.Err() != nil || e.judged.since(ck.Node, start) {
		return nil
	}
	slices.Sort(held)
	return held
}

// heldIn returns those of the memberships idx of ms, all in room id,
// that this node holds for node. A room that does not run here, or
// stops, holds none; an error says the room could not be looked at in
// time (ctx ended: out of time, or the engine shuts down).
func (e *Engine) heldIn(ctx context.Context, id, node string, ms []ClusterMember, idx []int) ([]int, error) {
	r, ok := e.rooms.load(id)
	if !ok {
		return nil, nil
	}
	var in []int
	err := r.Do(ctx, func() {
		for _, i := range idx {
			rs, ok := e.remoteSessions.load(remoteKey(id, ms[i].Session))
			if ok && rs.node == node && rs.joined.Load() && !rs.left.Load() {
				in = append(in, i)
			}
		}
	})
	if err != nil && ctx.Err() == nil {
		return nil, nil // stopped (room.ErrClosed, or its start failed): its memberships end with it
	}
	return in, err
}

// membership is one of a session's memberships of a room owned
// elsewhere.
type membership struct {
	s *session
	h *remoteHandle
}

// checkOwners asks the owners of ms which they still hold
// (ClusterChecker), all owners at once, each in chunks of maxCheckMembers
// one after the other, and moves each chunk's others as its answer comes
// (moveUnheld). since is the start of the silence (SilenceStart, read at
// its signal), the same for every chunk. A membership an owner did not
// answer for counts as not held; without a ClusterChecker, none is held.
// Once every owner has answered or timed out, it logs how many were held
// and how many moved.
func (e *Engine) checkOwners(ms []membership, since time.Time) {
	checker, _ := e.cluster.(ClusterChecker)
	byOwner := make(map[string][]membership)
	for _, m := range ms {
		byOwner[m.h.owner] = append(byOwner[m.h.owner], m)
	}
	var kept, moved atomic.Int64
	var wg sync.WaitGroup
	for owner, all := range byOwner {
		wg.Go(func() {
			for len(all) > 0 {
				chunk := all[:min(len(all), maxCheckMembers)]
				all = all[len(chunk):]
				held := make([]bool, len(chunk))
				if checker != nil {
					ck := &ClusterCheck{Node: e.cluster.Node(), Members: make([]ClusterMember, len(chunk)), Since: since}
					for k, m := range chunk {
						ck.Members[k] = ClusterMember{Room: m.h.rr.id, Session: m.s.id}
					}
					got, err := checker.Check(e.ctx, owner, ck)
					if err == nil {
						for _, k := range got {
							if k >= 0 && k < len(chunk) {
								held[k] = true
							}
						}
					}
				}
				for _, h := range held {
					if h {
						kept.Add(1)
					}
				}
				moved.Add(int64(e.moveUnheld(chunk, held)))
			}
		})
	}
	wg.Wait()
	e.log.Info("cluster: memberships checked after a silence",
		zap.Int("memberships", len(ms)), zap.Int("owners", len(byOwner)),
		zap.Int64("held", kept.Load()), zap.Int64("moved", moved.Load()))
}

// moveUnheld ends the memberships of ms not held, unless they ended
// meanwhile: a session whose client rejoins rooms in place leaves each
// such room on its owner (leaveForGap: an owner that dropped the
// membership refuses the leave, one that kept it takes it, and the client
// is told the room moved either way); those rooms are not stalled any
// more. Any other session in such a room is closed with CloseRoomMoved.
// It returns the number of memberships it moved.
func (e *Engine) moveUnheld(ms []membership, held []bool) (moved int) {
	for i, m := range ms {
		if held[i] {
			continue
		}
		if e.shutting.Load() {
			return moved // every session is closed anyway
		}
		m.s.roomsMu.Lock()
		still := m.s.remote[m.h.rr.id] == m.h
		m.s.roomsMu.Unlock()
		if !still {
			continue // ended or replaced meanwhile: that was handled then
		}
		moved++
		if !m.s.movesInPlace() {
			m.s.closeAfterFlush(CloseRoomMoved, "node heard again after a silence: rooms moved or unknown")
			continue
		}
		e.stalled.forget(m.s, m.h)
		m.s.leaveForGap(m.h.rr, m.h)
	}
	return moved
}
