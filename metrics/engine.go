package metrics

import (
	"strconv"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
)

// Connected implements engine.Observer.
func (m *Metrics) Connected() {
	m.connects.Inc()
	m.connsOpen.Inc()
}

// Disconnected implements engine.Observer.
func (m *Metrics) Disconnected(code uint16) {
	m.connsOpen.Dec()
	if c, ok := m.disconnectsBy[code]; ok {
		c.Inc()
		return
	}
	m.disconnectsAny.Inc()
}

// UpgradeRefused implements engine.Observer.
func (m *Metrics) UpgradeRefused(status int) {
	m.refused.WithLabelValues(strconv.Itoa(status)).Inc()
}

// MessageRead implements engine.Observer.
func (m *Metrics) MessageRead(size int) {
	m.messagesIn.Inc()
	m.bytesIn.Add(float64(size))
}

// FrameRead implements engine.Observer.
func (m *Metrics) FrameRead(t codec.Type) { m.framesIn[typeIndex(t)].Inc() }

// MessageWritten implements engine.Observer.
func (m *Metrics) MessageWritten(frames, size, queued int) {
	m.messagesOut.Inc()
	m.bytesOut.Add(float64(size))
	m.batchFrames.Observe(float64(frames))
	m.outbox.Observe(float64(queued))
}

// FramesWritten implements engine.Observer.
func (m *Metrics) FramesWritten(t codec.Type, n int) { m.framesOut[typeIndex(t)].Add(float64(n)) }

// SlowConsumer implements engine.Observer.
func (m *Metrics) SlowConsumer() { m.slow.Inc() }

// RateLimited implements engine.Observer.
func (m *Metrics) RateLimited() { m.rateLimited.Inc() }

// RequestDone implements engine.Observer.
func (m *Metrics) RequestDone(kind string, t codec.Type, ok bool, d time.Duration) {
	k := kindLabel(kind)
	m.requests.WithLabelValues(k, t.String()).Observe(d.Seconds())
	if !ok {
		m.requestErrors.WithLabelValues(k, t.String()).Inc()
	}
}

// MailboxDepth implements engine.Observer.
func (m *Metrics) MailboxDepth(kind string, depth int) {
	m.mailbox.WithLabelValues(kindLabel(kind)).Observe(float64(depth))
}

// RoomOpened implements engine.Observer.
func (m *Metrics) RoomOpened(kind string) {
	k := kindLabel(kind)
	m.roomsOpen.WithLabelValues(k).Inc()
	m.roomsCreated.WithLabelValues(k).Inc()
}

// RoomClosed implements engine.Observer.
func (m *Metrics) RoomClosed(kind string) { m.roomsOpen.WithLabelValues(kindLabel(kind)).Dec() }

// Resumed implements engine.Observer.
func (m *Metrics) Resumed(kind string, outcome engine.ResumeOutcome) {
	m.resumes.WithLabelValues(kindLabel(kind), outcome.String()).Inc()
}

// typeIndex maps a frame type to its counter, 0 for an unknown type.
func typeIndex(t codec.Type) int {
	if int(t) >= numTypes {
		return 0
	}
	return int(t)
}
