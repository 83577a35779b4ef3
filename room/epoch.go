package room

import (
	"crypto/rand"
	"encoding/base64"
)

// newEpoch returns a random epoch for a new room incarnation: 12 bytes,
// so two incarnations of one room never share an epoch in practice.
func newEpoch() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Epoch returns the epoch of the room's ordered stream: a random id per
// room incarnation, unless the handler set a durable one with SetEpoch.
// Clients resume with it, so seqs of different incarnations are never
// confused. Room goroutine only.
func (r *Room) Epoch() string { return r.epoch }

// SetEpoch replaces the room's epoch, for modules whose ordered stream is
// durable (restored with SetSeq and replayed by a Replayer): they set an
// epoch that stays the same for as long as the stored stream does, so
// clients can resume across a room or server restart. Call it from
// OnCreate. It clears the replay buffer. Room goroutine only.
func (r *Room) SetEpoch(epoch string) {
	if epoch == "" || epoch == r.epoch {
		return
	}
	r.epoch = epoch
	r.replay.reset()
}

// recordReplay keeps an ordered event's frame for resuming clients.
func (r *Room) recordReplay(seq uint64, frame []byte) {
	if r.replay.enabled() {
		r.replay.add(seq, frame, r.cfg.Clock.Now().UnixNano())
	}
}

// missedSince returns the frames of the ordered events after since, from
// the replay buffer or else the handler's Replayer, and whether every one
// of them up to the current seq could be found.
func (r *Room) missedSince(since uint64) ([][]byte, bool) {
	if since == r.seq {
		return nil, true
	}
	if frames, ok := r.replay.since(since, r.seq, r.cfg.Clock.Now().UnixNano()); ok {
		return frames, true
	}
	rp, ok := r.handler.(Replayer)
	if !ok {
		return nil, false
	}
	var frames [][]byte
	next, complete := since+1, true
	panicked := r.safe("Replay", func() {
		complete = rp.Replay(r, since, func(seq uint64, event string, data []byte) {
			if seq != next || seq > r.seq {
				complete = false
				return
			}
			next++
			frames = append(frames, r.encodeEvent(seq, event, data))
		}) && complete
	})
	if panicked || !complete || next != r.seq+1 {
		return nil, false
	}
	return frames, true
}
