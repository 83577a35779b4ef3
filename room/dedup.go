package room

// dedupCache remembers the replies of a room's recent successful sends
// that carried a client message id, keyed by user and id, so that a send
// retried after a lost connection is answered with its first reply and
// not applied twice. It is bounded by entry count and by the bytes of the
// kept replies; the oldest id is forgotten first, and a reply larger than
// the byte bound is not kept. Room goroutine only.
type dedupCache struct {
	maxEntries int
	maxBytes   int
	replies    map[dedupKey][]byte
	order      []dedupKey // FIFO of keys, oldest at start
	start      int
	bytes      int
}

type dedupKey struct {
	user, clientMsgID string
}

func newDedupCache(maxEntries, maxBytes int) dedupCache {
	return dedupCache{maxEntries: maxEntries, maxBytes: maxBytes}
}

// lookup returns the encoded reply data of an earlier successful send.
func (c *dedupCache) lookup(user, clientMsgID string) (reply []byte, ok bool) {
	if clientMsgID == "" || c.replies == nil {
		return nil, false
	}
	reply, ok = c.replies[dedupKey{user, clientMsgID}]
	return reply, ok
}

// remember records the encoded reply data of a successful send.
func (c *dedupCache) remember(user, clientMsgID string, reply []byte) {
	if c.maxEntries <= 0 || clientMsgID == "" || len(reply) > c.maxBytes {
		return
	}
	if c.replies == nil {
		c.replies = make(map[dedupKey][]byte)
	}
	k := dedupKey{user, clientMsgID}
	if old, ok := c.replies[k]; ok {
		// A second success under one id (the first was forgotten and
		// came back): keep the newer reply.
		c.bytes += len(reply) - len(old)
		c.replies[k] = reply
	} else {
		c.replies[k] = reply
		c.bytes += len(reply)
		c.order = append(c.order, k)
	}
	for len(c.order)-c.start > c.maxEntries || c.bytes > c.maxBytes {
		c.forgetOldest()
	}
	// Reclaim the consumed front of the queue once it is half of it.
	if c.start > 0 && c.start*2 >= len(c.order) {
		c.order = append(c.order[:0], c.order[c.start:]...)
		c.start = 0
	}
}

func (c *dedupCache) forgetOldest() {
	k := c.order[c.start]
	c.order[c.start] = dedupKey{}
	c.start++
	c.bytes -= len(c.replies[k])
	delete(c.replies, k)
}
