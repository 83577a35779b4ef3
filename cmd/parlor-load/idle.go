package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lxzan/gws"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/internal/loadgen"
)

// idleReadBuffer is the read buffer of an idle connection. It only ever
// reads pings, the connected and joined replies and the presence of its
// room: a small buffer keeps the generator's side of 100,000s of
// connections small.
const idleReadBuffer = 1 << 10

// idleConns are the -idle connections: each is a bare WebSocket that
// connects, joins its echo room and then only answers the server's pings,
// as the idle majority of a real server's users do. They are not
// client.Clients: those carry a dispatcher and buffers per client that
// 100,000s of connections do not need, and no way to pick a source
// address.
type idleConns struct {
	conns  []*gws.Conn
	closed atomic.Int64 // connections that ended before close
	pings  atomic.Int64 // pings answered
	ending atomic.Bool  // close has begun
	wg     sync.WaitGroup
}

// dialIdle opens n idle connections to wsURL as users "idle-<i>", at most
// conc at a time, and joins connection i to echo room "<prefix>-<i/size>",
// so the rooms hold size members each. With sources > 0, connection i
// dials from 127.0.0.(2 + i%sources). The connections that were opened
// are in the result even when it returns an error, for the caller to
// close.
func dialIdle(ctx context.Context, wsURL string, header http.Header, n, size, sources, conc int, prefix string) (*idleConns, error) {
	ic := &idleConns{conns: make([]*gws.Conn, n)}
	err := loadgen.Parallel(ctx, n, conc, func(ctx context.Context, i int) error {
		room := fmt.Sprintf("%s-%d", prefix, i/size)
		if err := ic.open(ctx, wsURL, header, i, sourceAddr(i, sources), room); err != nil {
			return fmt.Errorf("idle connection %d: %w", i, err)
		}
		return nil
	})
	return ic, err
}

// sourceAddr is the local address connection i dials from: nil (the
// kernel's choice) without sources, else 127.0.0.(2 + i%sources). Each
// source address has its own ephemeral ports, so K sources pass the
// limit of one address's port range K times over.
func sourceAddr(i, sources int) *net.TCPAddr {
	if sources <= 0 {
		return nil
	}
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%sources))}
}

// open dials connection i from src, connects and joins room.
func (ic *idleConns) open(ctx context.Context, wsURL string, header http.Header, i int, src *net.TCPAddr, room string) error {
	h := &idleHandler{ic: ic, reply: make(chan codec.Frame, 1)}
	hdr := header.Clone()
	hdr.Set("Sec-WebSocket-Protocol", client.Subprotocol)
	ws, _, err := gws.NewClient(h, &gws.ClientOption{
		Addr:                loadgen.UserURL(wsURL, fmt.Sprintf("idle-%d", i)),
		RequestHeader:       hdr,
		HandshakeTimeout:    10 * time.Second,
		ReadBufferSize:      idleReadBuffer,
		WriteBufferSize:     idleReadBuffer,
		ReadMaxPayloadSize:  64 << 10,
		WriteMaxPayloadSize: 64 << 10,
		NewDialer:           func() (gws.Dialer, error) { return sourceDialer(src), nil },
	})
	if err != nil {
		return err
	}
	ic.conns[i] = ws
	ic.wg.Go(ws.ReadLoop)
	if err := h.request(ctx, ws, codec.AppendConnect(nil, 1, "parlor-load-idle", ""), codec.TypeConnected); err != nil {
		return err
	}
	params, err := codec.MarshalData(echo.JoinParams{Name: room})
	if err != nil {
		return err
	}
	return h.request(ctx, ws, codec.AppendJoin(nil, 2, echo.Kind, params, "", 0), codec.TypeJoined)
}

// close closes every connection with 1000, at most conc at a time, and
// waits for their read loops to end.
func (ic *idleConns) close(conc int) {
	ic.ending.Store(true)
	sem := make(chan struct{}, max(conc, 1))
	var wg sync.WaitGroup
	for _, ws := range ic.conns {
		if ws == nil {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			_ = ws.WriteClose(1000, nil)
		})
	}
	wg.Wait()
	ic.wg.Wait()
}

// idleHandler receives one idle connection's events on its read loop.
type idleHandler struct {
	gws.BuiltinEventHandler
	ic    *idleConns
	reply chan codec.Frame // replies to the handshake's requests
	done  atomic.Bool      // the handshake is over: drop every message
}

// errRefused is returned when the server answers a request with an error.
var errRefused = errors.New("refused")

// request writes msg and waits for a reply of type want.
func (h *idleHandler) request(ctx context.Context, ws *gws.Conn, msg []byte, want codec.Type) error {
	if err := ws.WriteMessage(gws.OpcodeBinary, msg); err != nil {
		return err
	}
	select {
	case f := <-h.reply:
		if f.Type == codec.TypeError || (f.Type == codec.TypeReply && f.Code != "") {
			return fmt.Errorf("%w: %s %s", errRefused, f.Code, f.Message)
		}
		if f.Type != want {
			return fmt.Errorf("got a %s frame, want %s", f.Type, want)
		}
		if want == codec.TypeJoined {
			h.done.Store(true)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(10 * time.Second):
		return fmt.Errorf("no %s frame in 10s", want)
	}
}

// OnMessage passes the handshake's replies to request and drops the rest.
func (h *idleHandler) OnMessage(_ *gws.Conn, m *gws.Message) {
	defer m.Close()
	if h.done.Load() {
		return
	}
	_ = codec.DecodeMessage(m.Bytes(), 0, func(f *codec.Frame) error {
		switch f.Type {
		case codec.TypeConnected, codec.TypeJoined, codec.TypeError, codec.TypeReply:
			select {
			case h.reply <- codec.Frame{Type: f.Type, Code: f.Code, Message: f.Message}:
			default:
			}
		}
		return nil
	})
}

// OnPing answers a ping with a pong and counts it.
func (h *idleHandler) OnPing(ws *gws.Conn, _ []byte) {
	h.ic.pings.Add(1)
	_ = ws.WritePong(nil)
}

// OnClose counts a connection that ended before close began.
func (h *idleHandler) OnClose(*gws.Conn, error) {
	if !h.ic.ending.Load() {
		h.ic.closed.Add(1)
	}
}
