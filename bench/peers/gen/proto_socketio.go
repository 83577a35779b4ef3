package main

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/lxzan/gws"
)

// socketioProto drives the socket.io server over engine.io v4 on a
// WebSocket: the server opens with a "0{...}" packet, the client connects
// to the main namespace with "40", and events are "42" followed by a JSON
// array of the event name and its argument. The server pings with "2"
// and the client answers "3".
type socketioProto struct{}

func (socketioProto) target(base string, _ int, _ string) (string, http.Header) {
	return base, nil
}

func (socketioProto) join(ctx context.Context, p *peer, room string) error {
	err := awaitText(ctx, p, "engine.io open", func(s string) bool { return strings.HasPrefix(s, "0{") }, nil)
	if err != nil {
		return err
	}
	if err := p.write(gws.OpcodeText, []byte("40")); err != nil {
		return err
	}
	err = awaitText(ctx, p, "namespace connect",
		func(s string) bool { return strings.HasPrefix(s, "40") },
		func(s string) bool { return strings.HasPrefix(s, "44") })
	if err != nil {
		return err
	}
	if err := p.write(gws.OpcodeText, []byte(`42["join",`+strconv.Quote(room)+`]`)); err != nil {
		return err
	}
	return awaitText(ctx, p, "joined", func(s string) bool { return s == `42["joined"]` }, nil)
}

func (socketioProto) publish(_ *peer, dst, payload []byte) (gws.Opcode, []byte) {
	dst = append(dst, `42["say","`...)
	dst = append(dst, payload...) // plain ASCII: no escaping needed
	dst = append(dst, `"]`...)
	return gws.OpcodeText, dst
}

func (socketioProto) pong(msg []byte) []byte {
	if bytes.Equal(msg, []byte("2")) {
		return []byte("3")
	}
	return nil
}
