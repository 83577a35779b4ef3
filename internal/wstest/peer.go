package wstest

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/parlorhq/parlor/codec"
)

// Result is what ReadUntil saw.
type Result struct {
	// Frames are the parlor.v1 frames read, in order.
	Frames []codec.Frame
	// CloseCode is the code of the server's close frame; 0 when the
	// connection ended (or the read stopped) without one.
	CloseCode uint16
	// Reason is the close frame's reason text.
	Reason string
	// Pings counts the pings read (and never answered).
	Pings int
	// Err is the read error that ended the connection without a close
	// frame; nil otherwise.
	Err error
}

// Last returns the last frame read, and false if there was none.
func (r Result) Last() (codec.Frame, bool) {
	if len(r.Frames) == 0 {
		return codec.Frame{}, false
	}
	return r.Frames[len(r.Frames)-1], true
}

// ReadUntil reads messages until stop returns true for a frame, a close
// frame arrives or the connection ends. It answers no pings. A timeout, a
// binary message that does not decode and a text message are errors.
func (c *Conn) ReadUntil(timeout time.Duration, stop func(f *codec.Frame) bool) (Result, error) {
	var res Result
	_ = c.conn.SetReadDeadline(time.Now().Add(timeout))
	defer func() { _ = c.conn.SetReadDeadline(time.Time{}) }()
	for {
		op, p, err := c.ReadMessage()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return res, fmt.Errorf("wstest: timed out after %v with %d frames read", timeout, len(res.Frames))
			}
			res.Err = err
			return res, nil
		}
		switch op {
		case OpPing:
			res.Pings++
		case OpClose:
			res.CloseCode, res.Reason = CloseCode(p)
			return res, nil
		case OpText:
			return res, fmt.Errorf("wstest: server sent a text message %q", p)
		case OpBinary:
			done := false
			err := codec.DecodeMessage(p, 0, func(f *codec.Frame) error {
				res.Frames = append(res.Frames, *f)
				if stop != nil && stop(f) {
					done = true
				}
				return nil
			})
			if err != nil {
				return res, fmt.Errorf("wstest: undecodable server message %x: %w", p, err)
			}
			if done {
				return res, nil
			}
		}
	}
}

// Await reads until the answer to the request ref arrives and returns it:
// a frame of type want with that ref. A failed reply to ref, or an error
// frame, is returned as a *codec.Error; a close or the end of the
// connection as an error that says which.
func (c *Conn) Await(want codec.Type, ref uint64) (codec.Frame, error) {
	res, err := c.ReadUntil(c.timeout, func(f *codec.Frame) bool {
		return (f.Ref == ref && (f.Type == want || f.Type == codec.TypeReply)) || f.Type == codec.TypeError
	})
	if err != nil {
		return codec.Frame{}, err
	}
	f, ok := res.Last()
	switch {
	case res.CloseCode != 0:
		return codec.Frame{}, fmt.Errorf("wstest: closed with %d %q", res.CloseCode, res.Reason)
	case res.Err != nil:
		return codec.Frame{}, fmt.Errorf("wstest: connection ended: %w", res.Err)
	case !ok:
		return codec.Frame{}, errors.New("wstest: no answer")
	case f.Type == want:
		return f, nil
	case f.Code != "":
		return codec.Frame{}, &codec.Error{Code: f.Code, Message: f.Message}
	}
	return codec.Frame{}, fmt.Errorf("wstest: got %+v, want a frame of type %d", f, want)
}

// Connect sends a connect frame with ref, the client name and a resume
// token (empty for none), and waits for connected.
func (c *Conn) Connect(ref uint64, client, token string) (codec.Frame, error) {
	if err := c.WriteMessage(codec.AppendConnect(nil, ref, client, token)); err != nil {
		return codec.Frame{}, err
	}
	return c.Await(codec.TypeConnected, ref)
}

// Join sends a join frame with ref for a room of kind, params encoded with
// codec.MarshalData, and waits for joined.
func (c *Conn) Join(ref uint64, kind string, params any) (codec.Frame, error) {
	raw, err := codec.MarshalData(params)
	if err != nil {
		return codec.Frame{}, err
	}
	if err := c.WriteMessage(codec.AppendJoin(nil, ref, kind, raw, "", 0)); err != nil {
		return codec.Frame{}, err
	}
	return c.Await(codec.TypeJoined, ref)
}

// Drain reads and discards frames until the connection ends or timeout
// passes. It returns the close code if a close frame came (0 if none did),
// the payload bytes read, and whether the connection ended in time.
func (c *Conn) Drain(timeout time.Duration) (code uint16, read int64, ended bool) {
	_ = c.conn.SetReadDeadline(time.Now().Add(timeout))
	defer func() { _ = c.conn.SetReadDeadline(time.Time{}) }()
	for {
		f, err := c.ReadFrame()
		read += int64(len(f.Payload))
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return code, read, false
			}
			return code, read, true
		}
		if f.Op == OpClose {
			code, _ = CloseCode(f.Payload)
		}
	}
}
