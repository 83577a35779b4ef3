package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lxzan/gws"
	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
)

// wireConn is one member's connection: just the protocol the load needs
// (connect, join, send), spoken over gws directly. Its frames are handled
// on its read loop, which records each ack and each delivery itself and
// wakes only the send loop whose ack came. The Go client (package
// client) hands every frame on by channel instead: a reply to the
// request's caller, an event to whoever reads Events, a goroutine woken
// for each, which cost the generator as much CPU as the server's own
// hand-offs. It does not reconnect: a connection lost during a run
// fails the sends still waiting on it.
type wireConn struct {
	gws.BuiltinEventHandler // answers the server's pings
	ws                      *gws.Conn
	m                       *member
	closed                  chan struct{} // closed when the read loop ends
	shut                    chan struct{} // closed by Close
	shutOnce                sync.Once

	// The setup requests (connect, join) waiting for their answers, by
	// ref. Their refs have setupRef set; sends' refs do not.
	mu    sync.Mutex
	waits map[uint64]chan codec.Frame
	refs  atomic.Uint64

	// stalled: the read loop stops at the next message, until the
	// connection closes (a stalled member, once everyone has joined).
	stalled atomic.Bool
}

// setupRef marks the refs of setup requests.
const setupRef = 1 << 62

// errClosed fails a send whose connection was lost before its ack.
var errClosed = errors.New("parlor-chatload: connection lost")

// dialWire connects m as its user and completes the protocol's connect.
// m.slots must be made first: the read loop uses them from the start.
func dialWire(ctx context.Context, url string, m *member) (*wireConn, error) {
	c := &wireConn{m: m, closed: make(chan struct{}), shut: make(chan struct{}), waits: make(map[uint64]chan codec.Frame)}
	h := http.Header{}
	h.Set("Sec-WebSocket-Protocol", client.Subprotocol)
	deadline, _ := ctx.Deadline()
	ws, _, err := gws.NewClient(c, &gws.ClientOption{
		Addr:               url,
		RequestHeader:      h,
		HandshakeTimeout:   time.Until(deadline),
		ReadMaxPayloadSize: 1 << 20,
	})
	if err != nil {
		return nil, err
	}
	c.ws = ws
	go func() {
		ws.ReadLoop()
		close(c.closed)
	}()
	ref := c.nextSetupRef()
	if _, err := c.request(ctx, ref, codec.AppendConnect(nil, ref, "parlor-chatload", "")); err != nil {
		c.Close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	return c, nil
}

func (c *wireConn) nextSetupRef() uint64 { return setupRef | c.refs.Add(1) }

// Join joins a room of kind with params and returns the room id.
func (c *wireConn) Join(ctx context.Context, kind string, params any) (string, error) {
	raw, err := codec.MarshalData(params)
	if err != nil {
		return "", err
	}
	ref := c.nextSetupRef()
	f, err := c.request(ctx, ref, codec.AppendJoin(nil, ref, kind, raw, "", 0))
	if err != nil {
		return "", fmt.Errorf("join %s: %w", kind, err)
	}
	return f.Room, nil
}

// request writes a setup request and waits for the frame that answers it.
func (c *wireConn) request(ctx context.Context, ref uint64, msg []byte) (codec.Frame, error) {
	ch := make(chan codec.Frame, 1)
	c.mu.Lock()
	c.waits[ref] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.waits, ref)
		c.mu.Unlock()
	}()
	if err := c.ws.WriteMessage(gws.OpcodeBinary, msg); err != nil {
		return codec.Frame{}, err
	}
	select {
	case f := <-ch:
		if f.Code != "" {
			return f, fmt.Errorf("%s: %s", f.Code, f.Message)
		}
		return f, nil
	case <-c.closed:
		return codec.Frame{}, errClosed
	case <-ctx.Done():
		return codec.Frame{}, ctx.Err()
	}
}

// send writes one chat message to the member's room from send loop
// slot, due at due (Unix ns), and waits for its send loop to be woken
// (wait).
func (c *wireConn) send(slot int, due int64, text []byte) error {
	if err := c.write(slot, due, text); err != nil {
		return err
	}
	return c.wait(slot)
}

// write writes one chat message, text, to the member's room for send
// slot slot, due (or sent) at due (Unix ns). The slot's buffers are its
// sender's: the send loop's, or in a closed loop the read loop's once
// the first ack came (member.ack).
func (c *wireConn) write(slot int, due int64, text []byte) error {
	s := &c.m.slots[slot]
	s.n++
	ref := s.n*uint64(len(c.m.slots)) + uint64(slot)
	s.data = appendSendRequest(s.data[:0], text)
	s.due.Store(due)
	s.ref.Store(ref)
	s.buf = codec.AppendSend(s.buf[:0], ref, c.m.room, chat.OpSend, s.data, "")
	return c.ws.WriteMessage(gws.OpcodeBinary, s.buf)
}

// appendSendRequest appends the encoding of chat.SendRequest{Text: text}
// to dst, as codec.MarshalData would encode it, without its allocations.
func appendSendRequest(dst, text []byte) []byte {
	dst = codec.AppendString(codec.AppendMapHeader(dst, 1), "text")
	return codec.AppendStringBytes(dst, text)
}

// wait waits until the read loop wakes the send loop of slot: with the
// ack of its message (open loop), or when its closed-loop chain of sends
// ends (halt or an error), or until the connection closes.
func (c *wireConn) wait(slot int) error {
	select {
	case err := <-c.m.slots[slot].done:
		return err
	case <-c.closed:
		return errClosed
	}
}

// Close closes the connection and waits for its read loop.
func (c *wireConn) Close() {
	c.shutOnce.Do(func() { close(c.shut) })
	_ = c.ws.WriteClose(1000, nil)
	_ = c.ws.NetConn().Close()
	<-c.closed
}

// OnMessage implements gws.Event: it runs on the read loop.
func (c *wireConn) OnMessage(_ *gws.Conn, msg *gws.Message) {
	defer msg.Close()
	if c.stalled.Load() {
		<-c.shut // stop reading; Close ends the wait
		return
	}
	_ = codec.DecodeMessage(msg.Bytes(), 0, c.frame)
}

// frame handles one frame from the server.
func (c *wireConn) frame(f *codec.Frame) error {
	switch {
	case f.Type == codec.TypeEvent:
		c.m.delivered(f)
	case f.Ref&setupRef != 0:
		c.mu.Lock()
		ch := c.waits[f.Ref]
		c.mu.Unlock()
		if ch != nil {
			select {
			case ch <- *f: // its strings are copies; its byte slices are not used
			default: // answered already
			}
		}
	case f.Type == codec.TypeReply:
		c.m.ack(f)
	}
	return nil
}

// sendSlot is one send loop's request in flight. The send loop sets it
// before the write; the read loop reads it when the ack comes.
type sendSlot struct {
	n    uint64        // sends so far (by the slot's sender)
	ref  atomic.Uint64 // the ref in flight
	due  atomic.Int64  // its due (or send) time, Unix ns
	done chan error    // wakes the send loop (room for one)
	// The slot's sender's buffers: the text, the send request and the
	// encoded message.
	text, data, buf []byte
}
