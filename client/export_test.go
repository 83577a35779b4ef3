package client

// Hooks for the external tests of this package.

// DropConnection closes the client's current socket without a close
// frame, as a network failure would. It reports whether there was one.
func DropConnection(c *Client) bool {
	c.mu.Lock()
	cn := c.cur
	c.mu.Unlock()
	if cn == nil {
		return false
	}
	cn.drop()
	return true
}

// ResumeToken returns the resume token of the client's latest connection.
func ResumeToken(c *Client) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

// WithResumeToken returns opts whose first connect presents token.
func WithResumeToken(opts Options, token string) Options {
	opts.resumeToken = token
	return opts
}

// EventsBuffered reports whether the client has made its Events channel
// (Client.eventsChan), and its capacity.
func EventsBuffered(c *Client) (made bool, capacity int) {
	if c.events == nil {
		return false, 0
	}
	return true, cap(c.events)
}
