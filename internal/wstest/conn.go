package wstest

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/parlorhq/parlor/engine"
)

// DefaultTimeout bounds the upgrade, each write and each wait for an
// answer when Options.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// Options configure Dial.
type Options struct {
	// Target is the request target: path and query, such as
	// "/ws?user=alice". Default: "/".
	Target string
	// Header holds extra upgrade request headers, such as X-User or
	// Origin. Dial always sets the WebSocket headers itself.
	Header http.Header
	// Configure, if set, runs on the TCP connection before the upgrade
	// request, for socket options such as a small receive buffer.
	Configure func(*net.TCPConn)
	// Timeout bounds the upgrade, each write and each wait for an answer
	// (Connect, Join, Await). Default: DefaultTimeout.
	Timeout time.Duration
}

// Conn is a WebSocket client connection written by hand on a TCP
// connection. Its methods are not safe for concurrent use, except that
// one goroutine may write while another reads.
type Conn struct {
	conn    net.Conn
	br      *bufio.Reader
	timeout time.Duration
	// A message whose first fragments have been read, while ReadMessage
	// returns a control frame that came between them.
	partOp byte
	part   []byte
	// Response is the server's 101 response to the upgrade.
	Response *http.Response
}

// StatusError is Dial's error when the server answers the upgrade with a
// status other than 101.
type StatusError struct {
	Status int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("wstest: upgrade refused: HTTP %d", e.Status)
}

// Dial connects to addr (host:port) and upgrades the connection to a
// parlor.v1 WebSocket. A refusal is a *StatusError; a 101 without the
// right Sec-WebSocket-Accept is an error too.
func Dial(addr string, opts Options) (*Conn, error) {
	if opts.Target == "" {
		opts.Target = "/"
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	conn, err := net.DialTimeout("tcp", addr, opts.Timeout)
	if err != nil {
		return nil, err
	}
	if opts.Configure != nil {
		opts.Configure(conn.(*net.TCPConn))
	}
	c, err := upgrade(conn, addr, opts)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	return c, nil
}

func upgrade(conn net.Conn, addr string, opts Options) (*Conn, error) {
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	key := base64.StdEncoding.EncodeToString(raw[:])
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+opts.Target, nil)
	if err != nil {
		return nil, err
	}
	for name, vs := range opts.Header {
		req.Header[name] = vs
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", key)
	req.Header.Set("Sec-WebSocket-Protocol", engine.Subprotocol)
	_ = conn.SetDeadline(time.Now().Add(opts.Timeout))
	if err := req.Write(conn); err != nil {
		return nil, fmt.Errorf("wstest: write upgrade request: %w", err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return nil, fmt.Errorf("wstest: read upgrade response: %w", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		_ = resp.Body.Close()
		return nil, &StatusError{Status: resp.StatusCode}
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != AcceptKey(key) {
		return nil, fmt.Errorf("wstest: Sec-WebSocket-Accept %q, want %q", got, AcceptKey(key))
	}
	_ = conn.SetDeadline(time.Time{})
	return &Conn{conn: conn, br: br, timeout: opts.Timeout, Response: resp}, nil
}

// AcceptKey returns the Sec-WebSocket-Accept a server must answer to the
// Sec-WebSocket-Key key.
func AcceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// NetConn returns the TCP connection, for deadlines, socket options and
// bytes written as they are.
func (c *Conn) NetConn() net.Conn { return c.conn }

// Close closes the TCP connection without a WebSocket close.
func (c *Conn) Close() error { return c.conn.Close() }

// WriteFrame writes one final, masked frame with opcode op.
func (c *Conn) WriteFrame(op byte, payload []byte) error {
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.timeout))
	_, err := c.conn.Write(AppendFrame(make([]byte, 0, len(payload)+14), Fin|op, payload))
	return err
}

// WriteMessage writes msg as one binary message.
func (c *Conn) WriteMessage(msg []byte) error { return c.WriteFrame(OpBinary, msg) }

// ReadFrame reads one frame. A masked server frame, or one that declares
// more than MaxFramePayload bytes, is an error.
func (c *Conn) ReadFrame() (Frame, error) {
	var h [2]byte
	if _, err := io.ReadFull(c.br, h[:]); err != nil {
		return Frame{}, err
	}
	f := Frame{Fin: h[0]&Fin != 0, Op: h[0] & 0x0f}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(c.br, b[:]); err != nil {
			return Frame{}, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(c.br, b[:]); err != nil {
			return Frame{}, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if h[1]&0x80 != 0 {
		return Frame{}, errors.New("wstest: masked frame from the server")
	}
	if n > MaxFramePayload {
		return Frame{}, fmt.Errorf("wstest: server frame of %d bytes", n)
	}
	f.Payload = make([]byte, n)
	if _, err := io.ReadFull(c.br, f.Payload); err != nil {
		return Frame{}, err
	}
	return f, nil
}

// ReadMessage reads one whole message, joining continuation frames, and
// returns its opcode and payload. Control frames are returned as they
// come, even between the fragments of a message.
func (c *Conn) ReadMessage() (op byte, payload []byte, err error) {
	for {
		f, err := c.ReadFrame()
		if err != nil {
			return 0, nil, err
		}
		if f.Op >= OpClose {
			return f.Op, f.Payload, nil
		}
		if f.Op != OpContinuation {
			c.partOp = f.Op
		}
		c.part = append(c.part, f.Payload...)
		if f.Fin {
			op, payload = c.partOp, c.part
			c.partOp, c.part = 0, nil
			return op, payload, nil
		}
	}
}
