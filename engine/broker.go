package engine

import (
	"errors"
	"slices"
	"sync"
)

// Broker carries published payloads to subscribers of a topic, on this node
// and, for distributed implementations, on every other node. The engine
// publishes each room broadcast once, on a topic named by the room id, and
// each node subscribes to the rooms its sessions are in.
type Broker interface {
	// Publish delivers payload to every current subscriber of topic. The
	// payload is shared and must not be modified by anyone.
	Publish(topic string, payload []byte) error
	// Subscribe calls fn with each payload published on topic until the
	// returned function is called. fn must not block.
	Subscribe(topic string, fn func(payload []byte)) (unsubscribe func(), err error)
	// Close releases the broker. Publish and Subscribe fail afterwards.
	Close() error
}

// ErrBrokerClosed is returned by a closed broker.
var ErrBrokerClosed = errors.New("engine: broker closed")

// MemoryBroker is the in-process Broker: Publish calls subscribers
// synchronously, in subscription order. Topics are spread over shards, each
// with its own lock, so unrelated rooms never contend.
type MemoryBroker struct {
	shards [brokerShards]brokerShard
}

const brokerShards = 64

type brokerShard struct {
	mu     sync.RWMutex
	closed bool
	topics map[string][]*subscription
}

type subscription struct {
	fn func([]byte)
}

// NewMemoryBroker returns an empty in-process broker.
func NewMemoryBroker() *MemoryBroker {
	b := &MemoryBroker{}
	for i := range b.shards {
		b.shards[i].topics = make(map[string][]*subscription)
	}
	return b
}

func (b *MemoryBroker) shard(topic string) *brokerShard {
	return &b.shards[shardIndex(topic, brokerShards)]
}

// Publish calls every subscriber of topic with payload.
func (b *MemoryBroker) Publish(topic string, payload []byte) error {
	sh := b.shard(topic)
	sh.mu.RLock()
	if sh.closed {
		sh.mu.RUnlock()
		return ErrBrokerClosed
	}
	subs := sh.topics[topic]
	sh.mu.RUnlock()
	// The slice is replaced, never modified, so it is safe to range over
	// outside the lock.
	for _, s := range subs {
		s.fn(payload)
	}
	return nil
}

// Subscribe registers fn for topic.
func (b *MemoryBroker) Subscribe(topic string, fn func([]byte)) (func(), error) {
	sh := b.shard(topic)
	s := &subscription{fn: fn}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.closed {
		return nil, ErrBrokerClosed
	}
	sh.topics[topic] = append(slices.Clip(sh.topics[topic]), s)
	var once sync.Once
	return func() {
		once.Do(func() {
			sh.mu.Lock()
			defer sh.mu.Unlock()
			subs := sh.topics[topic]
			i := slices.Index(subs, s)
			if i < 0 {
				return
			}
			if len(subs) == 1 {
				delete(sh.topics, topic)
				return
			}
			sh.topics[topic] = slices.Delete(slices.Clone(subs), i, i+1)
		})
	}, nil
}

// Close drops every subscription.
func (b *MemoryBroker) Close() error {
	for i := range b.shards {
		sh := &b.shards[i]
		sh.mu.Lock()
		sh.closed = true
		sh.topics = make(map[string][]*subscription)
		sh.mu.Unlock()
	}
	return nil
}
