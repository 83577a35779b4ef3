// Package natsbroker is an engine.Broker over NATS core subjects, for
// engines on several nodes.
//
// Each topic (a room id) travels on its own subject, SubjectPrefix + "." +
// a token of the topic: room ids are hex and used as they are, anything
// else is replaced by '_' and its SHA-256 in hex. A payload is published as
// one NATS message, so a batch of events stays one message. NATS keeps the
// order of the messages one connection publishes on one subject, so each
// node sees a room's payloads in the order its owner published them.
//
// A node holds one NATS subscription per topic, however many local
// subscribers the topic has, and calls them in subscription order from the
// subscription's delivery goroutine.
package natsbroker

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/parlorhq/parlor/cluster/internal/token"
	"github.com/parlorhq/parlor/engine"
)

// Broker is an engine.Broker over a NATS connection it does not own.
type Broker struct {
	nc  *nats.Conn
	cfg Config

	mu     sync.Mutex
	closed atomic.Bool
	topics map[string]*topic
}

var (
	_ engine.Broker          = (*Broker)(nil)
	_ engine.BrokerReadiness = (*Broker)(nil)
)

// topic is one subscribed topic: its NATS subscription and the local
// subscribers, replaced (never modified) on every change so that delivery
// reads them without a lock.
type topic struct {
	sub  *nats.Subscription
	subs atomic.Pointer[[]*subscriber]
}

type subscriber struct {
	fn      func([]byte)
	removed atomic.Bool
}

// New returns a broker publishing and subscribing on nc. The caller keeps
// ownership of nc (dial it with cluster.Dial for the expected reconnect
// policy) and closes it after the broker.
func New(nc *nats.Conn, cfg Config) *Broker {
	return &Broker{nc: nc, cfg: cfg.withDefaults(), topics: make(map[string]*topic)}
}

// Subject returns the NATS subject that carries topic.
func (b *Broker) Subject(topic string) string {
	return b.cfg.SubjectPrefix + "." + token.For(topic)
}

// Publish sends payload to the subscribers of topic on every node,
// including this one. It returns engine.ErrBrokerClosed after Close,
// ErrUnavailable while NATS cannot be reached, and ErrTooLarge for a
// payload over the server's limit. A nil error means the payload left in
// order with this connection's other publishes, not that anyone got it.
func (b *Broker) Publish(topic string, payload []byte) error {
	if b.closed.Load() {
		return engine.ErrBrokerClosed
	}
	if !b.nc.IsConnected() {
		return ErrUnavailable
	}
	err := b.publish(topic, payload)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, nats.ErrMaxPayload):
		return ErrTooLarge
	default:
		return errors.Join(ErrUnavailable, err)
	}
}

// subjectBufs holds the buffers publish builds subjects in.
var subjectBufs = sync.Pool{New: func() any { b := make([]byte, 0, 128); return &b }}

// publish publishes payload on topic's subject without allocating one
// string per call for room ids used as they are. nats.go copies the
// subject into its write buffer before Publish returns and keeps no
// reference to it, so the string may alias a pooled buffer.
func (b *Broker) publish(topic string, payload []byte) error {
	if !token.Plain(topic) {
		return b.nc.Publish(b.Subject(topic), payload)
	}
	bp := subjectBufs.Get().(*[]byte)
	buf := append(append(append((*bp)[:0], b.cfg.SubjectPrefix...), '.'), topic...)
	err := b.nc.Publish(unsafe.String(&buf[0], len(buf)), payload)
	*bp = buf
	subjectBufs.Put(bp)
	return err
}

// Subscribe calls fn with each payload published on topic, on any node,
// until the returned function is called. The first local subscriber of a
// topic opens its NATS subscription and waits (at most FlushTimeout) until
// the server has it; while NATS is down the subscription is registered and
// sent when the connection comes back. It fails with ErrUnavailable only
// when the connection is closed or draining. fn must not block: it runs on the
// topic's delivery goroutine, and the payload is shared by every local
// subscriber and must not be modified.
func (b *Broker) Subscribe(topicName string, fn func(payload []byte)) (func(), error) {
	s := &subscriber{fn: fn}
	b.mu.Lock()
	if b.closed.Load() {
		b.mu.Unlock()
		return nil, engine.ErrBrokerClosed
	}
	t, ok := b.topics[topicName]
	if !ok {
		t = &topic{}
		sub, err := b.nc.Subscribe(b.Subject(topicName), t.deliver)
		if err != nil {
			b.mu.Unlock()
			return nil, errors.Join(ErrUnavailable, err)
		}
		t.sub = sub
		b.topics[topicName] = t
	}
	subs := []*subscriber{s}
	if old := t.subs.Load(); old != nil {
		subs = append(slices.Clone(*old), s)
	}
	t.subs.Store(&subs)
	b.mu.Unlock()

	if !ok && b.nc.IsConnected() {
		if err := b.nc.FlushTimeout(b.cfg.FlushTimeout); err != nil {
			// The subscription stands and is resent on reconnect.
			b.cfg.Logger.Warn("natsbroker: flush after subscribe", zap.Error(err))
		}
	}
	var once sync.Once
	return func() { once.Do(func() { b.unsubscribe(topicName, t, s) }) }, nil
}

func (b *Broker) unsubscribe(name string, t *topic, s *subscriber) {
	s.removed.Store(true)
	b.mu.Lock()
	defer b.mu.Unlock()
	old := t.subs.Load()
	i := slices.Index(*old, s)
	if i < 0 {
		return // Close dropped it already.
	}
	if len(*old) > 1 {
		subs := slices.Delete(slices.Clone(*old), i, i+1)
		t.subs.Store(&subs)
		return
	}
	empty := []*subscriber(nil)
	t.subs.Store(&empty)
	delete(b.topics, name)
	if err := t.sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		b.cfg.Logger.Warn("natsbroker: unsubscribe", zap.Error(err))
	}
}

// deliver is the NATS handler of a topic.
func (t *topic) deliver(m *nats.Msg) {
	subs := t.subs.Load()
	if subs == nil {
		return
	}
	for _, s := range *subs {
		if !s.removed.Load() {
			s.fn(m.Data)
		}
	}
}

// Close drops every subscription; Publish and Subscribe fail with
// engine.ErrBrokerClosed afterwards. It leaves the connection open.
func (b *Broker) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed.Swap(true) {
		return nil
	}
	var errs []error
	for name, t := range b.topics {
		for _, s := range *t.subs.Load() {
			s.removed.Store(true)
		}
		empty := []*subscriber(nil)
		t.subs.Store(&empty)
		if err := t.sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			errs = append(errs, err)
		}
		delete(b.topics, name)
	}
	return errors.Join(errs...)
}
