package room

// dedupCache remembers the replies of a room's recent successful sends
// that carried a client message id, keyed by user and id, so that a send
// retried after a lost connection is answered with its first reply and
// not applied twice. It is bounded by entry count: the oldest id is
// forgotten first. Room goroutine only.
type dedupCache struct {
	max     int
	replies map[dedupKey][]byte
	order   []dedupKey // ring of keys, oldest at next when full
	next    int
}

type dedupKey struct {
	user, clientMsgID string
}

func newDedupCache(max int) dedupCache { return dedupCache{max: max} }

// lookup returns the encoded reply data of an earlier successful send.
func (c *dedupCache) lookup(user, clientMsgID string) (reply []byte, ok bool) {
	if c.max <= 0 || clientMsgID == "" || c.replies == nil {
		return nil, false
	}
	reply, ok = c.replies[dedupKey{user, clientMsgID}]
	return reply, ok
}

// remember records the encoded reply data of a successful send.
func (c *dedupCache) remember(user, clientMsgID string, reply []byte) {
	if c.max <= 0 || clientMsgID == "" {
		return
	}
	if c.replies == nil {
		c.replies = make(map[dedupKey][]byte)
	}
	k := dedupKey{user, clientMsgID}
	if _, ok := c.replies[k]; ok {
		c.replies[k] = reply
		return
	}
	if len(c.order) < c.max {
		c.order = append(c.order, k)
	} else {
		delete(c.replies, c.order[c.next])
		c.order[c.next] = k
		c.next = (c.next + 1) % c.max
	}
	c.replies[k] = reply
}
