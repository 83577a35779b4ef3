package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/lxzan/gws"

	"github.com/parlorhq/parlor/codec"
)

// parlorProto drives the Parlor server with the parlor.v1 wire protocol,
// encoded and decoded with the codec package: connect, join the "peers"
// module's room, and send "say" events whose data is the payload as a
// msgpack string.
type parlorProto struct{}

// parlorKind is the kind of the bench module of the parlor server.
const parlorKind = "peers"

func (parlorProto) target(base string, id int, _ string) (string, http.Header) {
	h := http.Header{}
	h.Set("Sec-WebSocket-Protocol", "parlor.v1")
	return base + "?user=" + url.QueryEscape("u"+strconv.Itoa(id)), h
}

func (parlorProto) join(ctx context.Context, p *peer, room string) error {
	if err := p.write(gws.OpcodeBinary, codec.AppendConnect(nil, 1, "peers-gen", "")); err != nil {
		return err
	}
	if _, err := awaitFrame(ctx, p, 1, codec.TypeConnected); err != nil {
		return err
	}
	params := codec.AppendMapHeader(nil, 1)
	params = codec.AppendString(params, "name")
	params = codec.AppendString(params, room)
	if err := p.write(gws.OpcodeBinary, codec.AppendJoin(nil, 2, parlorKind, params, "", 0)); err != nil {
		return err
	}
	roomID, err := awaitFrame(ctx, p, 2, codec.TypeJoined)
	if err != nil {
		return err
	}
	p.roomID = roomID
	p.ref = 2
	return nil
}

// awaitFrame reads handshake messages until the answer to request ref,
// which must be of type want; it returns the answer's room.
func awaitFrame(ctx context.Context, p *peer, ref uint64, want codec.Type) (string, error) {
	for {
		m, err := p.await(ctx)
		if err != nil {
			return "", fmt.Errorf("waiting for %s: %w", want, err)
		}
		var roomID string
		done := errors.New("done")
		err = codec.DecodeMessage(m, 64, func(f *codec.Frame) error {
			switch {
			case f.Type == codec.TypeError:
				return fmt.Errorf("server error: %s %s", f.Code, f.Message)
			case f.Ref != ref || (f.Type != want && f.Type != codec.TypeReply):
				return nil
			case f.Type == codec.TypeReply:
				return fmt.Errorf("%s refused: %s %s", want, f.Code, f.Message)
			}
			roomID = f.Room
			return done
		})
		if errors.Is(err, done) {
			return roomID, nil
		}
		if err != nil {
			return "", err
		}
	}
}

func (parlorProto) publish(p *peer, dst, payload []byte) (gws.Opcode, []byte) {
	p.ref++
	// The payload as a msgpack str8; -size keeps it under 256 bytes.
	var data [2 + 255]byte
	d := append(append(data[:0], 0xd9, byte(len(payload))), payload...)
	return gws.OpcodeBinary, codec.AppendSend(dst, p.ref, p.roomID, "say", d, "")
}

func (parlorProto) pong([]byte) []byte { return nil }
