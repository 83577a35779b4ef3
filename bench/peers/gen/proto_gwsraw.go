package main

import (
	"context"
	"net/http"
	"net/url"

	"github.com/lxzan/gws"
)

// gwsrawProto drives the bare gws server: the room is in the URL, the
// server says "joined", and a text message is the payload itself.
type gwsrawProto struct{}

func (gwsrawProto) target(base string, _ int, room string) (string, http.Header) {
	return base + "?room=" + url.QueryEscape(room), nil
}

func (gwsrawProto) join(ctx context.Context, p *peer, _ string) error {
	return awaitText(ctx, p, "joined", func(s string) bool { return s == "joined" }, nil)
}

func (gwsrawProto) publish(_ *peer, dst, payload []byte) (gws.Opcode, []byte) {
	return gws.OpcodeText, append(dst, payload...)
}

func (gwsrawProto) pong([]byte) []byte { return nil }
