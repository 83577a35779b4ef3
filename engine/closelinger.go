package engine

import (
	"encoding/binary"
	"time"

	"github.com/lxzan/gws"
)

// maxClosePayload is the most a close frame may carry (RFC 6455 5.5: a
// control frame's payload is at most 125 bytes): the code and the reason.
const maxClosePayload = 125

// closeLingering sends the close frame that ends a connection the server
// closes after its queued frames (closeAfterFlush), then shuts the
// socket's write side and lets the read loop drain what the peer had
// already sent until the peer closes too, or closeGrace passes. The
// drained frames are not handled: the outbox is closed, and dispatch
// ignores a closing session's frames.
//
// Closing the socket at once would reset the connection whenever the
// peer's next frames had arrived unread (a client that pipelines requests
// behind a malformed one, say), and a reset makes the peer's kernel
// discard what it had not read yet: the error frame and the close frame
// that explain the close.
func (s *session) closeLingering(code uint16, reason string) {
	payload := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(reason)), code)
	payload = append(payload, reason...)
	if len(payload) > maxClosePayload {
		payload = payload[:maxClosePayload]
	}
	_ = s.conn.SetWriteDeadline(time.Now().Add(s.e.cfg.WriteTimeout))
	// WriteMessage, unlike WriteClose, leaves the socket open; a failed
	// write closes it (gws).
	if err := s.conn.WriteMessage(gws.OpcodeCloseConnection, payload); err != nil {
		return
	}
	nc := s.conn.NetConn()
	if hc, ok := nc.(interface{ CloseWrite() error }); ok && hc.CloseWrite() == nil {
		// The read loop ends when the peer answers the close or hangs
		// up; this bounds the wait for one that does neither.
		time.AfterFunc(closeGrace, func() { _ = nc.Close() })
		return
	}
	_ = nc.Close()
}
