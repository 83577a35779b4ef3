package engine

// spend takes one token of the connection's rate limit for a frame or a
// WebSocket ping or pong from the peer: data and control frames share one
// bucket (Config.RateLimit, Config.RateBurst), so a peer cannot make the
// server write a pong for every ping it floods in. When the bucket is empty
// spend counts a strike and returns false; when the strikes run out
// (Config.RateStrikes) it closes the connection with 4029.
func (s *session) spend() bool {
	if s.limiter == nil || s.limiter.Allow() {
		return true
	}
	if obs := s.e.obs; obs != nil {
		obs.RateLimited()
	}
	if !s.strikes.Allow() {
		s.log.Info("rate limit abuse closed")
		s.closeAfterFlush(CloseRateLimited, "rate limit exceeded")
	}
	return false
}
