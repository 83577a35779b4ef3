package faulttest

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/parlorhq/parlor/codec"
)

// rawConn is a hand-rolled parlor.v1 WebSocket connection on a plain
// net.Conn. The tests use it where the Go client would get in the way: a
// client that must stop reading from its socket entirely, and the close
// code of a connection the server ended.
type rawConn struct {
	conn net.Conn
	br   *bufio.Reader
	ref  uint64
}

// dialRaw opens a WebSocket to addr as user and does the connect
// handshake.
func dialRaw(addr, user string) (*rawConn, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	var key [16]byte
	_, _ = rand.Read(key[:])
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := fmt.Sprintf("GET /ws?user=%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: parlor.v1\r\n\r\n",
		user, addr, base64.StdEncoding.EncodeToString(key[:]))
	if _, err := io.WriteString(conn, req); err != nil {
		conn.Close()
		return nil, err
	}
	c := &rawConn{conn: conn, br: bufio.NewReader(conn)}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		conn.Close()
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		conn.Close()
		return nil, fmt.Errorf("upgrade refused: HTTP %d", resp.StatusCode)
	}
	c.ref++
	if err := c.write(codec.AppendConnect(nil, c.ref, "faulttest-raw", "")); err != nil {
		conn.Close()
		return nil, err
	}
	if _, err := c.await(codec.TypeConnected, c.ref); err != nil {
		conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return c, nil
}

// join joins a room of kind with params (msgpack-encoded by the caller)
// and returns the joined frame.
func (c *rawConn) join(kind string, params any) (codec.Frame, error) {
	raw, err := codec.MarshalData(params)
	if err != nil {
		return codec.Frame{}, err
	}
	c.ref++
	_ = c.conn.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.conn.SetDeadline(time.Time{})
	if err := c.write(codec.AppendJoin(nil, c.ref, kind, raw, "", 0)); err != nil {
		return codec.Frame{}, err
	}
	return c.await(codec.TypeJoined, c.ref)
}

// await reads messages until the answer to ref arrives: a frame of type
// want, or a failed reply.
func (c *rawConn) await(want codec.Type, ref uint64) (codec.Frame, error) {
	for {
		op, payload, err := c.readMessage()
		if err != nil {
			return codec.Frame{}, err
		}
		if op == opClose {
			return codec.Frame{}, fmt.Errorf("closed with %d", closeCode(payload))
		}
		if op != opBinary {
			continue
		}
		var got *codec.Frame
		var ferr error
		err = codec.DecodeMessage(payload, 0, func(f *codec.Frame) error {
			switch {
			case f.Type == want && f.Ref == ref:
				fr := *f
				fr.Snapshot = append([]byte(nil), f.Snapshot...)
				got = &fr
			case f.Type == codec.TypeReply && f.Ref == ref && f.Code != "":
				ferr = &codec.Error{Code: f.Code, Message: f.Message}
			case f.Type == codec.TypeError:
				ferr = &codec.Error{Code: f.Code, Message: f.Message}
			}
			return nil
		})
		if err != nil {
			return codec.Frame{}, err
		}
		if ferr != nil {
			return codec.Frame{}, ferr
		}
		if got != nil {
			return *got, nil
		}
	}
}

// WebSocket opcodes.
const (
	opBinary = 0x2
	opClose  = 0x8
)

// write sends payload as one masked binary message.
func (c *rawConn) write(payload []byte) error {
	hdr := []byte{0x80 | opBinary}
	switch n := len(payload); {
	case n < 126:
		hdr = append(hdr, 0x80|byte(n))
	case n <= 0xffff:
		hdr = append(hdr, 0x80|126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, 0x80|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	var mask [4]byte
	_, _ = rand.Read(mask[:])
	hdr = append(hdr, mask[:]...)
	buf := append(hdr, payload...)
	for i := range payload {
		buf[len(hdr)+i] ^= mask[i%4]
	}
	_, err := c.conn.Write(buf)
	return err
}

// readMessage reads one whole message (joining continuation frames) and
// returns its opcode and payload. Control frames are returned as they
// come.
func (c *rawConn) readMessage() (op byte, payload []byte, err error) {
	for {
		fin, fop, p, err := c.readFrame()
		if err != nil {
			return 0, nil, err
		}
		if fop >= 0x8 { // control frame
			return fop, p, nil
		}
		if fop != 0 {
			op = fop
		}
		payload = append(payload, p...)
		if fin {
			return op, payload, nil
		}
	}
}

func (c *rawConn) readFrame() (fin bool, op byte, payload []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(c.br, h[:]); err != nil {
		return false, 0, nil, err
	}
	fin, op = h[0]&0x80 != 0, h[0]&0x0f
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(c.br, b[:]); err != nil {
			return false, 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(c.br, b[:]); err != nil {
			return false, 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if h[1]&0x80 != 0 {
		return false, 0, nil, errors.New("masked frame from the server")
	}
	if n > 64<<20 {
		return false, 0, nil, fmt.Errorf("frame of %d bytes", n)
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(c.br, payload)
	return fin, op, payload, err
}

// drain reads and discards everything until the connection ends or
// timeout passes. It returns the close code if a close frame came (0 if
// the connection ended without one), the bytes read, and whether the
// connection ended in time.
func (c *rawConn) drain(timeout time.Duration) (code uint16, read int64, ended bool) {
	_ = c.conn.SetReadDeadline(time.Now().Add(timeout))
	for {
		_, op, p, err := c.readFrame()
		read += int64(len(p))
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return code, read, false
			}
			return code, read, true
		}
		if op == opClose {
			code = closeCode(p)
		}
	}
}

func closeCode(p []byte) uint16 {
	if len(p) < 2 {
		return 1005
	}
	return binary.BigEndian.Uint16(p)
}

// Close closes the TCP connection.
func (c *rawConn) Close() error { return c.conn.Close() }
