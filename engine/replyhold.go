package engine

import "time"

// The reply hold's time limit. A send queued to a busy room's mailbox
// keeps the reader's hold of its outbox until the room replies
// (flushHeld, socket.go), so that the sender's event and its ack go out
// in one write. Frames other rooms queue to the connection meanwhile wait
// behind the hold, so a slow room handler would delay them for as long
// as it runs. Config.ReplyHold bounds the wait: when the reply has not
// come by then, the hold's timer ends it and writes what was queued; the
// reply goes out on its own when it comes, after those frames.
//
// The timer is the session's own, made at its first hold and reused:
// starting it is a Reset, and the reply that ends the hold in time stops
// it (endReplyHold), so it fires only for a hold that outlives its bound.

// startReplyHold notes when a hold begins to wait for a reply, and makes
// the hold's timer, stopped, at the connection's first such hold. The
// reader calls it before it sets awaitReply, so whoever takes awaitReply
// back finds the timer made (endReplyHold).
func (s *session) startReplyHold() {
	s.holdSince.Store(int64(time.Since(monoBase)))
	if s.holdTimer == nil {
		s.holdTimer = time.AfterFunc(time.Hour, s.replyHoldExpired)
		s.holdTimer.Stop()
	}
}

// armReplyHold starts the hold's time limit, once awaitReply is set, so
// that a timer that fires finds the hold to end. A reply that ended the
// hold in between leaves the timer a firing with nothing to do.
func (s *session) armReplyHold() {
	s.holdTimer.Reset(s.e.cfg.ReplyHold)
}

// endReplyHold stops the hold's timer once a reply has ended the hold.
// Its caller took awaitReply from true to false, which the reader set
// after making the timer.
func (s *session) endReplyHold() {
	s.holdTimer.Stop()
}

// replyHoldExpired runs on the timer's goroutine when a hold's bound has
// passed. A hold that already ended leaves nothing to do, and one that
// started since (a later send's, which reset the timer for itself) is
// left to its own firing: it is younger than the bound.
func (s *session) replyHoldExpired() {
	if !s.awaitReply.Load() {
		return
	}
	if time.Since(monoBase)-time.Duration(s.holdSince.Load()) < s.e.cfg.ReplyHold {
		return
	}
	if s.awaitReply.CompareAndSwap(true, false) {
		s.writeHeld()
	}
}
