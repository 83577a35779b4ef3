package engine

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
)

// The member's side of a room owned by another node. A session of this
// node in such a room holds a remote handle instead of a *room.Room: its
// sends and leave are forwarded to the owner, and the room's frames come
// back on the room's topic, which this node subscribes to (once per room,
// in a remoteRoom) before it forwards the first join.

// startCluster sets the engine up as a cluster node.
func (e *Engine) startCluster(c Cluster) {
	e.cluster = c
	e.fanout = newClusterFanout(newPeerLinks(c, e.log, &e.wg), e.roomIdle)
	e.leases = newShardedMap[leasedRoom]()
	e.remoteSessions = newShardedMap[*remoteSession]()
	e.remotes = newShardedMap[*remoteRoom]()
	e.ownerHints = newShardedMap[ownerHint]()
	e.watched = newShardedMap[struct{}]()
	e.userSubs = newShardedMap[*userSub]()
	e.checkSlots = make(chan struct{}, maxConcurrentChecks)
	e.shortenIdleTTL()
}

// remoteRoom is a room owned by another node, with the sessions of this
// node in it: the owner's batches for the room (receiveBatch) go to it.
type remoteRoom struct {
	e  *Engine
	id string

	mu       sync.Mutex
	members  map[string]*session // by session id: joining or joined
	attached atomic.Pointer[[]*session]
	// joining holds, by session id, the forwarded joins waiting for their
	// joined frame (joinRemote): deliver closes the channel when the
	// session's joined frame for that join's ref arrives, which is how a
	// join the owner took is answered. Guarded by mu.
	joining map[string]joinWait

	// owner is the node a join of this node's sessions last reached the
	// room on, "" before: the next session of this node that joins the
	// room forwards its join there without looking the owner up in the
	// lease bucket, and looks it up if that owner refuses.
	owner atomic.Pointer[string]

	// lastSeq is the room's seq as far as this node knows: the seq of
	// the last ordered broadcast, joined frame or replayed event received;
	// seqKnown is false until the first of them. The delivery goroutine
	// of batches (receiveBatch) only.
	lastSeq  uint64
	seqKnown bool
}

// remoteHandle is a session's membership of a room owned elsewhere.
type remoteHandle struct {
	rr    *remoteRoom
	owner string
	kind  string // the room's module kind, for Config.Observer

	// replies are the forwarded sends awaiting their framed reply.
	replies remoteReplies
	// left, set by a leave under way (leaveRemote), is closed when the
	// owner's left envelope for the session arrives (remoteLeft).
	// s.roomsMu guards it.
	left chan struct{}
	// gapLeave is set once leaveForGap sent the membership's leave: a
	// second reason to move it (another gap, a stall, the node heard
	// again after a silence) sends none. s.roomsMu guards it.
	gapLeave bool
	// moved is set when the membership ends because its room moved (or
	// may have), before the session is told: a forwarded send refused
	// meanwhile is then left to the client's resend after its rejoin
	// (forwarded). s.roomsMu guards it.
	moved bool
}

// enterRemote registers s in the remote room id, before its join is
// forwarded, so that the owner's frames for it find it here.
func (e *Engine) enterRemote(id string, s *session) *remoteRoom {
	var rr *remoteRoom
	e.remotes.update(id, func(m map[string]*remoteRoom) {
		if rr = m[id]; rr == nil {
			rr = &remoteRoom{e: e, id: id, members: make(map[string]*session)}
			m[id] = rr
		}
		rr.mu.Lock()
		rr.members[s.id] = s
		rr.mu.Unlock()
	})
	return rr
}

// exitRemote takes s out of rr, forgetting rr when s was the last.
func (e *Engine) exitRemote(rr *remoteRoom, s *session) {
	e.remotes.update(rr.id, func(m map[string]*remoteRoom) {
		rr.mu.Lock()
		defer rr.mu.Unlock()
		if rr.members[s.id] != s {
			return
		}
		delete(rr.members, s.id)
		rr.detachLocked(s)
		if len(rr.members) == 0 && m[rr.id] == rr {
			delete(m, rr.id)
		}
	})
}

// detachLocked stops broadcasts to s. rr.mu is held.
func (rr *remoteRoom) detachLocked(s *session) {
	if p := rr.attached.Load(); p != nil {
		if i := slices.Index(*p, s); i >= 0 {
			next := slices.Delete(slices.Clone(*p), i, i+1)
			rr.attached.Store(&next)
		}
	}
}

// deliver takes one payload of the room from its owner's batches:
// broadcasts go to the attached sessions, envelopes to the session they
// name.
func (rr *remoteRoom) deliver(p []byte) {
	kind, sid, body, ok := parseEnvelope(p)
	if !ok {
		if isEnvelope(p) {
			return
		}
		if seq, ok := eventSeq(p); ok && seq != 0 {
			gap := rr.seqKnown && seq > rr.lastSeq+1
			if gap {
				rr.missed(seq, nil)
			}
			rr.lastSeq, rr.seqKnown = seq, true
			if gap {
				return // past the gap: the sessions resume from before it
			}
		}
		if a := rr.attached.Load(); a != nil {
			for _, s := range *a {
				s.Deliver(p)
			}
		}
		return
	}
	joined := false
	var joinedRef uint64
	if kind == envFrames {
		joinedRef, _, joined = joinedFrame(body)
	}
	rr.mu.Lock()
	s := rr.members[sid]
	// A joined frame attaches its session as envAttach does. The owner
	// sends envAttach before the joined frame of a new member, and none
	// when the session was a member there already: a rejoin in place
	// after this node took the owner for gone while it was not (moved),
	// whose membership the owner kept.
	if s != nil && (kind == envAttach || joined) {
		var next []*session
		if a := rr.attached.Load(); a != nil {
			next = slices.Clone(*a)
		}
		if !slices.Contains(next, s) {
			next = append(next, s)
		}
		rr.attached.Store(&next)
	}
	rr.mu.Unlock()
	if s == nil {
		return
	}
	switch kind {
	case envFrames:
		rr.noteSeq(body, s)
		if joined {
			rr.joined(sid, joinedRef)
		}
		if h := s.remoteRoom(rr.id); h != nil && h.rr == rr {
			h.replies.answered(body)
		}
		s.Deliver(body)
	case envLeft:
		if rr.leftWhileJoining(sid, s, room.LeaveReason(body)) {
			return
		}
		if room.LeaveReason(body) == room.LeaveShutdown {
			// The room stopped on its owner: the next join here looks
			// its owner up rather than asking the old one.
			rr.owner.Store(nil)
		}
		rr.e.exitRemote(rr, s)
		s.remoteLeft(rr, room.LeaveReason(body))
	}
}

// awaitJoined registers a forwarded join of the session sid, before it
// is forwarded, and returns the channel that its joined frame closes.
func (rr *remoteRoom) awaitJoined(sid string, ref uint64) chan struct{} {
	ch := make(chan struct{})
	rr.mu.Lock()
	if rr.joining == nil {
		rr.joining = make(map[string]joinWait)
	}
	rr.joining[sid] = joinWait{ch: ch, ref: ref}
	rr.mu.Unlock()
	return ch
}

// joinWait is a forwarded join waiting for its joined frame.
type joinWait struct {
	ch  chan struct{}
	ref uint64 // the client's ref of the join, which its joined frame carries
	// left is set when the membership the session had in the room ended
	// while the join waited, for reason.
	left   bool
	reason room.LeaveReason
}

// leftWhileJoining handles the left envelope of the session sid (s, nil
// when not a member here) while a forwarded join of it waits, and
// reports whether there was one. That left ends the membership the
// session had before the join: one that the join replaces (a join
// undone after its timeout, then tried again), or one the owner ended
// meanwhile (a kick, a removal). Either way the session stops getting the
// room's broadcasts now; the join's joined frame, which follows on this
// link if the join gets in, attaches it again, and if it does not,
// joinRemote ends the membership with reason.
func (rr *remoteRoom) leftWhileJoining(sid string, s *session, reason room.LeaveReason) bool {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	w, ok := rr.joining[sid]
	if !ok {
		return false
	}
	w.left, w.reason = true, reason
	rr.joining[sid] = w
	if s != nil {
		rr.detachLocked(s)
	}
	return true
}

// joined answers the forwarded join of the session sid whose ref is ref,
// if it waits: its joined frame has arrived. The joined frame of an
// earlier join of the session (one the node answered with a refusal or a
// timeout, which the owner took after all) does not answer a later one:
// the client ignores that frame, and would wait for its join's answer
// until its own timeout.
func (rr *remoteRoom) joined(sid string, ref uint64) {
	rr.mu.Lock()
	if w, ok := rr.joining[sid]; ok && w.ref == ref {
		close(w.ch)
		delete(rr.joining, sid)
	}
	rr.mu.Unlock()
}

// stopAwaiting forgets the forwarded join of the session sid, answered
// or given up, unless a later join replaced it, and returns whether the
// session's earlier membership ended meanwhile, for what reason
// (leftWhileJoining). A join that its joined frame answered is forgotten
// already (joined): the membership it made replaces the earlier one.
func (rr *remoteRoom) stopAwaiting(sid string, ch chan struct{}) (reason room.LeaveReason, left bool) {
	rr.mu.Lock()
	if w := rr.joining[sid]; w.ch == ch {
		reason, left = w.reason, w.left
		delete(rr.joining, sid)
	}
	rr.mu.Unlock()
	return reason, left
}

// noteSeq moves lastSeq on to the seq of a joined frame or a replayed
// event sent to one session, s: the room's broadcasts that follow it come
// after that seq, even if the owner published none while no session here
// was attached.
//
// A joined frame carries the room's seq at the join. Past the last
// broadcast this node got, it shows that broadcasts were published that
// never reached this node: typically those an owner killed still had in
// its NATS buffer, of which its successor, rebuilt from the log, knows
// nothing. s gets them in its replay, but the sessions already attached
// here do not, and moving lastSeq past them would hide the gap from the
// next broadcast's check: they resume from the last seq they saw instead.
// A replayed event past the last broadcast shows the same gap (a joining
// session's replay can reach past it before its joined frame does).
func (rr *remoteRoom) noteSeq(frame []byte, s *session) {
	seq, joined := joinedSeq(frame)
	ok := joined
	if !ok {
		seq, ok = eventSeq(frame)
	}
	if !ok || (rr.seqKnown && seq <= rr.lastSeq) {
		return
	}
	if rr.seqKnown {
		// A replayed event past the last broadcast shows the gap as a
		// joined frame does: the owner publishes each broadcast on this
		// node's link before any replay that holds it, so this node never
		// got it, and the sessions attached here would skip it.
		rr.missed(seq, s)
	}
	rr.lastSeq, rr.seqKnown = seq, true
}

// missed runs when this node missed ordered broadcasts of the room (a
// NATS message lost, for example across a reconnect): the sessions that
// got the broadcasts resume from the last seq they saw. A session whose
// client rejoins moved rooms in place is detached from the room's
// broadcasts here and leaves the room as a closed session would
// (leaveForGap), and its client joins again on the same connection; any
// other session is closed with CloseRoomMoved. except, a session whose
// join showed the gap, gets the missed events in its replay and stays.
func (rr *remoteRoom) missed(seq uint64, except *session) {
	a := rr.attached.Load()
	if a == nil || len(*a) == 0 || (len(*a) == 1 && (*a)[0] == except) {
		return
	}
	rr.e.log.Warn("cluster: broadcasts missed, sessions resume", zap.String("room", rr.id),
		zap.Uint64("last", rr.lastSeq), zap.Uint64("got", seq))
	// One pass detaches every session that moves in place: a room with
	// a thousand members on this node is copied once, not once each.
	var moving, closing []*session
	rr.mu.Lock()
	if a = rr.attached.Load(); a != nil {
		keep := make([]*session, 0, len(*a))
		for _, s := range *a {
			switch {
			case s == except:
				keep = append(keep, s)
			case s.movesInPlace():
				moving = append(moving, s)
			default:
				keep = append(keep, s) // until its close
				closing = append(closing, s)
			}
		}
		if len(moving) > 0 {
			rr.attached.Store(&keep)
		}
	}
	rr.mu.Unlock()
	for _, s := range closing {
		s.closeAfterFlush(CloseRoomMoved, "events missed")
	}
	for _, s := range moving {
		s.leaveForGap(rr, nil)
	}
}

// leaveForGap takes the session, which missed broadcasts of rr (or may
// have: its node was cut off, resumeRoom), out of the room on its owner
// as a closed session's node would (a leave marked disconnected), but
// keeps the connection: the owner's left envelope then tells the client
// that the room moved (remoteLeft, roomMoved), and its rejoin is a new
// membership whose replay fills the gap. So the owner has let go of the
// membership before the client can join again. A leave the owner
// refuses, or that finds it gone or gets no answer in time, ends the
// membership here and tells the client too (gapLeaveFailed). A session
// with a leave of its own under way, or whose handle is not there yet
// (its join is being answered), is closed with CloseRoomMoved instead,
// and so is one whose leave cannot be sent. With want set, the session
// leaves only if want is still its membership of rr: one that ended
// meanwhile was told then.
func (s *session) leaveForGap(rr *remoteRoom, want *remoteHandle) {
	s.roomsMu.Lock()
	h := s.remote[rr.id]
	if want != nil && h != want {
		s.roomsMu.Unlock()
		return
	}
	busy := h == nil || h.rr != rr || h.left != nil
	again := !busy && h.gapLeave
	if !busy {
		h.gapLeave = true
	}
	s.roomsMu.Unlock()
	if again {
		return // its leave is on its way already
	}
	if busy {
		s.closeAfterFlush(CloseRoomMoved, "events missed")
		return
	}
	l := &ClusterLeave{Room: rr.id, User: s.user, Session: s.id, Node: s.e.cluster.Node(), Disconnected: true}
	err := s.e.cluster.Leave(h.owner, l, func(err error) {
		if err != nil {
			s.gapLeaveFailed(h)
		}
	})
	if err != nil {
		// Not sent (this node is cut off): the owner still counts the
		// membership, so the session closes as before, and its close
		// forwards the leave once it can.
		s.closeAfterFlush(CloseRoomMoved, "events missed")
	}
}

// gapLeaveFailed runs when leaveForGap's leave got no left envelope: a
// refusal, a gone owner, or its time over. Unless the left envelope came
// after all (h is gone then), the membership ends here and the client is
// told the room moved; if the owner still counts it, the rejoin finds it
// a member, and its joined frame attaches it again.
func (s *session) gapLeaveFailed(h *remoteHandle) {
	s.moveOut(h, "events missed")
}

// joinCluster is handleJoin's loop on a cluster node, once the room id
// is resolved: run the room here if it is free, or forward the join to its
// owner, looking the owner up again while it is gone or changing.
func (s *session) joinCluster(ctx context.Context, f *codec.Frame, m room.Module, id string, params []byte) (joinErr error) {
	// Owners whose answer to this join was that they are gone (no answer
	// within the join's wait): one that was only slow may still apply it.
	// If the join fails in the end, they are told to undo it, as a join
	// whose own wait ended is (joinRemote); otherwise the owner would keep
	// a member this node no longer knows of, whose leave never comes.
	var unanswered []string
	defer func() {
		if joinErr == nil || len(unanswered) == 0 || s.remoteRoom(id) != nil {
			return // joined, or a member already: nothing to undo
		}
		for _, owner := range unanswered {
			s.forwardLeave(owner, id, true)
		}
	}()
	known := s.e.knownOwner(id)
	if known == "" {
		known = s.e.hintedOwner(id)
	}
	// A resumed room is expected to run somewhere, and so is one whose
	// owner was just asked: its lookup reads the lease bucket first (one
	// request when the room runs, where a create first and a read after
	// its refusal take two).
	existing := f.Epoch != ""
	for {
		var r *room.Room
		var owner string
		var err error
		cached := known != ""
		if cached {
			// Another session of this node is in the room: its owner is
			// known, and a refusal sends this join to the lookup at once.
			owner, known = known, ""
		} else {
			r, owner, err = s.e.clusterRoom(ctx, id, f.Kind, m, s.user, existing)
		}
		existing = true
		switch {
		case err == nil && owner == "":
			if r.Kind() != f.Kind {
				return ErrWrongKind
			}
			err = r.JoinFrom(ctx, s, f.Ref, params, f.Epoch, f.Seq)
			if !errors.Is(err, room.ErrClosed) {
				return err
			}
			select { // stopping: the next lookup finds it gone
			case <-r.Done():
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		case err == nil && !s.e.clusterUp():
			return ErrClusterDown // the owner cannot be reached now
		case err == nil:
			err = s.joinRemote(ctx, owner, id, f, params)
			if errors.Is(err, ErrOwnerGone) && !slices.Contains(unanswered, owner) {
				unanswered = append(unanswered, owner)
			}
			if cached && err != nil {
				// The known owner refused: the next join looks it up.
				// Only a refusal of the join itself reaches the client;
				// anything else (the owner stopping, cut off from its
				// lease bucket, not the owner any more) is a look-up.
				s.e.forgetOwner(id, owner)
				s.e.dropOwnerHint(id, owner)
				if ctxErr := ctx.Err(); ctxErr != nil {
					return ctxErr
				}
				if !joinRefused(err) {
					continue
				}
				return err
			}
		case lookupUnavailable(err) && !s.e.clusterUp():
			// This node is cut off from the cluster: refused at once,
			// the client tries again (a refusal with code unavailable
			// does not make it give the room up).
			return ErrClusterDown
		case lookupUnavailable(err):
			// The cluster cannot say who owns the room for a moment (a
			// lease bucket electing its leader): wait for it within the
			// join's time rather than refuse.
			err = ErrNotOwner
		}
		if errors.Is(err, ErrRoomFreed) {
			continue // the last owner just gave it up: take it now
		}
		if !errors.Is(err, ErrOwnerGone) && !errors.Is(err, ErrNotOwner) {
			return err
		}
		select {
		case <-time.After(clusterRetryPause):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// knownOwner returns the owner of room id as a join of a session of this
// node last found it, if a session of this node is in the room, else "".
// A room running here has no known owner.
func (e *Engine) knownOwner(id string) string {
	if _, running := e.rooms.load(id); running {
		return ""
	}
	rr, ok := e.remotes.load(id)
	if !ok {
		return ""
	}
	if p := rr.owner.Load(); p != nil {
		return *p
	}
	return ""
}

// forgetOwner forgets that owner owns room id (knownOwner), unless a
// later join found another owner meanwhile.
func (e *Engine) forgetOwner(id, owner string) {
	rr, ok := e.remotes.load(id)
	if !ok {
		return
	}
	if p := rr.owner.Load(); p != nil && *p == owner {
		rr.owner.CompareAndSwap(p, nil)
	}
}

// joinRefused reports whether err, from a join forwarded to a room's
// owner, is the owner's refusal of the join itself (a client error, such
// as forbidden or limit_exceeded), rather than a failure to reach the
// owner or a sign that it is not the owner (code unavailable).
func joinRefused(err error) bool {
	var ce *codec.Error
	return errors.As(err, &ce) && ce.Code != codec.CodeUnavailable
}

// lookupUnavailable reports whether err, from looking a room's owner up,
// says the cluster is unreachable for now (code unavailable) rather than
// that the join is refused.
func lookupUnavailable(err error) bool {
	var ce *codec.Error
	return errors.As(err, &ce) && ce.Code == codec.CodeUnavailable && !errors.Is(err, ErrShutdown)
}

// joinRemote forwards a join to owner, with the session registered in
// the remote room first so that the joined frame and everything after it
// find it here.
func (s *session) joinRemote(ctx context.Context, owner, id string, f *codec.Frame, params []byte) error {
	rr := s.e.enterRemote(id, s)
	// Known from now on (knownOwner): the owner's joined frame, which
	// answers the join, may reach the client, and its next session here
	// join, before this join has returned. A join that fails forgets it
	// again.
	rr.owner.Store(&owner)
	reason, left, err := s.forwardJoin(ctx, rr, owner, f, params)
	if err != nil {
		if p := rr.owner.Load(); p != nil && *p == owner {
			rr.owner.CompareAndSwap(p, nil)
		}
		switch {
		case s.remoteRoom(id) == nil:
			s.e.exitRemote(rr, s)
			if !errors.Is(err, ErrOwnerGone) && !errors.Is(err, ErrNotOwner) && !errors.Is(err, ErrRoomFreed) {
				// It may have applied after all (a timeout): undo it.
				s.forwardLeave(owner, id, true)
			}
		case left:
			// The session was a member already, the owner ended that
			// membership while this join waited (a kick, a removal), and
			// this join did not get in: the session is out of the room.
			s.e.exitRemote(rr, s)
			s.remoteLeft(rr, reason)
		}
		return err
	}
	// The handle goes in under rr.mu, so that a left envelope for the
	// session, which takes it out of rr.members under rr.mu and then
	// looks for its handle (remoteLeft), comes either before the check
	// or after the handle is there: never between the two, leaving a
	// handle on a membership that has ended. (Lock order: rr.mu, then
	// roomsMu; nothing takes rr.mu while holding roomsMu.)
	rr.mu.Lock()
	still := rr.members[s.id] == s
	if still {
		s.roomsMu.Lock()
		s.remote[id] = &remoteHandle{rr: rr, owner: owner, kind: f.Kind}
		s.roomsMu.Unlock()
	}
	rr.mu.Unlock()
	if still {
		s.e.watchNode(owner)
	}
	return nil
}

// forwardJoin forwards the join to owner and waits for its answer: the
// session's joined frame in the owner's batch for a join the owner took
// (the owner answers it on NATS only when it refuses it), or the
// cluster's answer (a refusal, a gone owner, the join's wait over, or an
// older owner's success). It also returns whether the session's earlier
// membership of the room ended while the join waited, and why
// (stopAwaiting).
func (s *session) forwardJoin(ctx context.Context, rr *remoteRoom, owner string, f *codec.Frame, params []byte) (reason room.LeaveReason, left bool, err error) {
	joined := rr.awaitJoined(s.id, f.Ref)
	defer func() { reason, left = rr.stopAwaiting(s.id, joined) }()
	answered := make(chan error, 1)
	err = s.e.cluster.Join(owner, &ClusterJoin{
		Room: rr.id, Kind: f.Kind, User: s.user, Session: s.id, Node: s.e.cluster.Node(),
		Ref: f.Ref, Params: params, Epoch: f.Epoch, Since: f.Seq,
	}, func(err error) { answered <- err })
	if err != nil {
		return "", false, err
	}
	select {
	case <-joined:
		return "", false, nil
	case err = <-answered:
	case <-ctx.Done():
		err = ctx.Err()
	}
	select {
	case <-joined:
		// It came with the answer: the owner took the join (a refusal
		// after it, a join whose wait ended, is late).
		return "", false, nil
	default:
		return "", false, err
	}
}

// remoteRoom returns the session's handle on a room owned elsewhere.
func (s *session) remoteRoom(id string) *remoteHandle {
	s.roomsMu.Lock()
	defer s.roomsMu.Unlock()
	return s.remote[id]
}

// remoteLeft runs when the owner took the session out of a room. A room
// that stopped for a reason other than this engine's shutdown moved to
// another node, and one that the owner left the open session out of may
// have: the session is told (roomMoved). In the second case the owner
// still runs the room, and is kept as a hint for the rejoin
// (ownerhint.go).
func (s *session) remoteLeft(rr *remoteRoom, reason room.LeaveReason) {
	telling := false
	hint := ""
	s.roomsMu.Lock()
	if h := s.remote[rr.id]; h != nil && h.rr == rr {
		delete(s.remote, rr.id)
		h.moved = s.lost(reason)
		if h.moved && s.movesInPlace() {
			s.beginMove()
			telling = true
		}
		if h.moved && reason == room.LeaveDisconnected {
			// The owner took the open session out: it still runs the
			// room, where the client joins again at once.
			hint = h.owner
		}
		if h.left != nil {
			close(h.left)
		}
	}
	s.roomsMu.Unlock()
	if hint != "" {
		s.e.hintOwner(rr.id, hint)
	}
	s.roomMoved(rr.id, reason)
	if telling {
		s.endMove()
	}
}

// roomMoved tells the session that a room it was in, id, moved (moved)
// when the room stopped on a cluster node for another reason than this
// engine's shutdown: the room stopped because its node lost it, stopped,
// or died, or because its stored log moved under it (a store seq
// conflict: the modules stop the room then, see docs/cluster.md,
// fencing). So it does when the owner disconnected the session while it
// is still open: the owner believed this node gone (its heartbeats
// missed), and the client would otherwise stay out of the room without
// knowing it. While this node is cut off from the cluster the session
// stays open until it is back (stall), its sends to id answered
// ErrClusterDown.
func (s *session) roomMoved(id string, reason room.LeaveReason) {
	if !s.lost(reason) || s.e.cluster == nil || s.e.shutting.Load() {
		return
	}
	if !s.e.clusterUp() {
		s.e.stall(s, id, nil)
		return
	}
	s.moved(id, "room moved to another node")
}

// lost reports whether a membership that ended for reason ended because
// its room moved, or may have: the room stopped on its owner (for another
// reason than this engine's shutdown, which roomMoved leaves out), or the
// owner disconnected the session while it is still open.
func (s *session) lost(reason room.LeaveReason) bool {
	return reason == room.LeaveShutdown || (reason == room.LeaveDisconnected && !s.closed.Load())
}

// moved tells the session, which is out of the room id now, that the
// room moved to another node or may have: a client that rejoins rooms in
// place (codec.FeatureRoomMoves) gets a left frame with reason
// codec.LeftMoved, after everything queued before it, and joins the room
// again on this connection from its epoch and last seq; any other client
// is closed with CloseRoomMoved (why is the close reason), and resumes
// every room of the connection.
func (s *session) moved(id, why string) {
	if s.movesInPlace() {
		s.Deliver(codec.AppendLeft(nil, id, codec.LeftMoved))
		return
	}
	s.closeAfterFlush(CloseRoomMoved, why)
}

// moveOut takes the session out of h's room, whose owner is gone or no
// longer has the membership, and tells it the room moved (moved), unless
// a later join replaced h. It reports whether it did.
func (s *session) moveOut(h *remoteHandle, why string) bool {
	if !s.dropRemote(h) {
		return false
	}
	s.moved(h.rr.id, why)
	if s.movesInPlace() {
		s.endMove()
	}
	return true
}

// dropRemote takes the session out of h's room, whose owner is gone or
// no longer has the membership, unless a later join replaced h. It
// reports whether it did; the caller tells the session the room moved
// then, and ends the move (endMove) for a session that rejoins in place.
// A leave waiting for the owner's answer is done.
func (s *session) dropRemote(h *remoteHandle) bool {
	s.roomsMu.Lock()
	mine := s.remote[h.rr.id] == h
	if mine {
		delete(s.remote, h.rr.id)
		h.moved = true
		if s.movesInPlace() {
			s.beginMove()
		}
		if h.left != nil {
			close(h.left)
		}
	}
	s.roomsMu.Unlock()
	if mine {
		s.e.exitRemote(h.rr, s)
	}
	return mine
}

// movedAway reports whether the membership h ended because its room
// moved (h.moved) while the client was not leaving it: a client that left
// does not join the room again to send anything once more, so its sends
// are answered.
func (h *remoteHandle) movedAway(s *session) bool {
	s.roomsMu.Lock()
	defer s.roomsMu.Unlock()
	return h.moved && h.left == nil
}

// sendRemote forwards a send to the room's owner without waiting for the
// owner's answer: the session's next frames are read meanwhile, and its
// next sends follow this one to the owner in order. A gone or changed
// owner ends the membership (moved): a client that rejoins rooms in place
// is told before the send's answer, any other is closed with
// CloseRoomMoved after it, so that it resumes where the room runs next.
// While this node is cut off from the cluster the send is answered
// ErrClusterDown at once, and the session is closed with CloseRoomMoved
// once the node is back (the owner may have lost the room meanwhile).
func (s *session) sendRemote(h *remoteHandle, f *codec.Frame) {
	if !s.e.clusterUp() {
		s.e.stall(s, h.rr.id, h)
		s.reply(f.Ref, ErrClusterDown)
		return
	}
	ref := f.Ref
	if !h.replies.await(s, ref, s.e.cfg.MaxForwardedSends) {
		s.reply(ref, ErrRemoteBusy)
		return
	}
	err := s.e.cluster.Send(h.owner, &ClusterSend{
		Room: h.rr.id, User: s.user, Session: s.id, Node: s.e.cluster.Node(),
		Ref: ref, Event: f.Event, Data: f.Data, ClientMsgID: f.ClientMsgID,
	}, func(err error) { s.forwarded(h, ref, err) })
	s.forwarded(h, ref, err)
}

// forwarded handles the owner's refusal of the forwarded send ref, or the
// failure to forward it (err nil: it left, and its framed reply answers
// it): a refusal is the client's reply, unless the client was answered
// already (it timed out). It runs on the session's goroutine or the
// cluster's delivery goroutine.
func (s *session) forwarded(h *remoteHandle, ref uint64, err error) {
	if err == nil || !h.replies.take(ref) {
		return
	}
	if (errors.Is(err, ErrOwnerGone) || errors.Is(err, ErrNotOwner)) && s.movesInPlace() {
		// The membership is gone with the owner (or the owner has it no
		// more): the client learns it first, and sends this one again
		// after its rejoin, with its client message id.
		if !s.moveOut(h, "room moved to another node") && h.movedAway(s) && s.e.clusterUp() {
			// It ended by a move that another goroutine is telling the
			// client about: a reply now could overtake that left frame,
			// and the client would take the refusal for the send's
			// answer. The client sends it again after its rejoin and
			// ignores any late answer to this writing.
			s.untrack(ref)
			return
		}
		s.reply(ref, err)
		return
	}
	s.reply(ref, err)
	if errors.Is(err, ErrOwnerGone) || errors.Is(err, ErrNotOwner) {
		s.closeAfterFlush(CloseRoomMoved, "room moved to another node")
	}
}

// leaveRemote forwards a leave to the room's owner and forgets the room.
// The owner answers a leave it took with the session's left envelope
// (remoteLeft closes h.left), and only a refusal on NATS; a refusal that
// says the membership is gone (ErrNotOwner, ErrOwnerGone), a success from
// an owner that answers every leave, and the owner found gone
// (Cluster.NodeGone) are a leave done. The cluster answers
// ErrLeaveTimeout after its forward timeout; Config.JoinTimeout bounds the
// wait as well.
func (s *session) leaveRemote(h *remoteHandle, ref uint64) {
	left := make(chan struct{})
	s.roomsMu.Lock()
	if s.remote[h.rr.id] != h || h.left != nil {
		s.roomsMu.Unlock()
		s.reply(ref, nil) // left already, or leaving
		return
	}
	h.left = left
	s.roomsMu.Unlock()
	refused := make(chan error, 1)
	err := s.e.cluster.Leave(h.owner, &ClusterLeave{Room: h.rr.id, User: s.user, Session: s.id, Node: s.e.cluster.Node()},
		func(err error) { refused <- err })
	if err == nil {
		t := time.NewTimer(s.e.cfg.JoinTimeout)
		select {
		case <-left:
		case err = <-refused:
		case <-s.e.cluster.NodeGone(h.owner):
			err = ErrOwnerGone // and its rooms with it
		case <-t.C:
			err = ErrLeaveTimeout
		case <-s.e.ctx.Done():
			err = ErrShutdown
		}
		t.Stop()
	}
	if errors.Is(err, ErrOwnerGone) || errors.Is(err, ErrNotOwner) {
		err = nil // the room is gone, and so is the membership
	}
	s.roomsMu.Lock()
	if err == nil && s.remote[h.rr.id] == h {
		delete(s.remote, h.rr.id)
	} else if err != nil && s.remote[h.rr.id] == h {
		h.left = nil // still a member: a later leave may try again
	}
	s.roomsMu.Unlock()
	if err == nil {
		s.e.exitRemote(h.rr, s)
	}
	s.reply(ref, err)
}

// forwardLeave tells owner, without waiting, that the session left id.
func (s *session) forwardLeave(owner, id string, disconnected bool) {
	l := &ClusterLeave{Room: id, User: s.user, Session: s.id, Node: s.e.cluster.Node(), Disconnected: disconnected}
	err := s.e.cluster.Leave(owner, l, func(err error) {
		if err != nil {
			s.log.Debug("forwarded leave refused", zap.String("room", id), zap.String("owner", owner), zap.Error(err))
		}
	})
	if err != nil {
		s.log.Debug("forwarded leave", zap.String("room", id), zap.String("owner", owner), zap.Error(err))
	}
}

// leaveRemoteRooms runs when the session closes: every owner is told.
func (s *session) leaveRemoteRooms() {
	s.roomsMu.Lock()
	handles := make([]*remoteHandle, 0, len(s.remote))
	for _, h := range s.remote {
		handles = append(handles, h)
	}
	clear(s.remote)
	s.roomsMu.Unlock()
	for _, h := range handles {
		s.e.exitRemote(h.rr, s)
		s.forwardLeave(h.owner, h.rr.id, true)
	}
}

// watchNode makes sure that when node is gone, what this node shares with
// it is cleaned up: the sessions of this node in rooms node owned are
// told those rooms moved (moved), to join them again on their next
// owners, and the sessions node had in rooms owned here leave them as
// disconnected (a game's seat then starts its grace period), since node
// cannot say so any more.
func (e *Engine) watchNode(node string) {
	fresh := false
	e.watched.update(node, func(m map[string]struct{}) {
		if _, ok := m[node]; !ok {
			m[node] = struct{}{}
			fresh = true
		}
	})
	if !fresh {
		return
	}
	gone := e.cluster.NodeGone(node)
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		select {
		case <-gone:
		case <-e.ctx.Done():
			return
		}
		e.judged.note(node)
		e.watched.update(node, func(m map[string]struct{}) { delete(m, node) })
		e.peers().drop(node)
		e.log.Info("node gone: closing the sessions in its rooms, disconnecting its sessions from ours", zap.String("gone", node))
		for _, s := range e.sessions.values() {
			s.roomsMu.Lock()
			var hit []*remoteHandle
			for _, h := range s.remote {
				if h.owner == node {
					hit = append(hit, h)
				}
			}
			s.roomsMu.Unlock()
			switch {
			case len(hit) == 0:
			case s.movesInPlace():
				for _, h := range hit {
					// The owner may only seem gone and keep the
					// membership: it is told the session left before
					// the client is told to join again.
					if s.dropRemote(h) {
						s.forwardLeave(h.owner, h.rr.id, true)
						s.moved(h.rr.id, "room owner gone")
						s.endMove()
					}
				}
			default:
				s.closeAfterFlush(CloseRoomMoved, "room owner gone")
			}
		}
		for _, rs := range e.remoteSessions.values() {
			if rs.node != node {
				continue
			}
			if r, ok := e.rooms.load(rs.room); ok {
				r.Disconnect(rs)
			}
		}
	}()
}
