package main

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/lxzan/gws"
)

// centrifugeProto drives the centrifuge server with its JSON protocol
// (v2): a connect command, a subscribe command for the room's channel,
// then publish commands whose data is the payload as a JSON string. The
// server answers commands by id and sends publications as pushes; one
// WebSocket message may hold several replies and pushes, one per line.
type centrifugeProto struct{}

func (centrifugeProto) target(base string, _ int, _ string) (string, http.Header) {
	return base, nil
}

func (centrifugeProto) join(ctx context.Context, p *peer, room string) error {
	if err := p.write(gws.OpcodeText, []byte(`{"id":1,"connect":{}}`)); err != nil {
		return err
	}
	if err := awaitReply(ctx, p, 1, "connect"); err != nil {
		return err
	}
	sub := `{"id":2,"subscribe":{"channel":` + strconv.Quote(room) + `}}`
	if err := p.write(gws.OpcodeText, []byte(sub)); err != nil {
		return err
	}
	if err := awaitReply(ctx, p, 2, "subscribe"); err != nil {
		return err
	}
	p.roomID = room
	p.ref = 2
	return nil
}

// awaitReply waits for the reply to command id: a line that starts with
// {"id":<id>, and carries no error.
func awaitReply(ctx context.Context, p *peer, id int, what string) error {
	prefix := `{"id":` + strconv.Itoa(id) + `,`
	var failed bool
	err := awaitText(ctx, p, what+" reply",
		func(s string) bool {
			for line := range strings.Lines(s) {
				if strings.HasPrefix(line, prefix) {
					failed = strings.Contains(line, `"error":`)
					return true
				}
			}
			return false
		},
		func(s string) bool { return strings.HasPrefix(s, `{"error":`) })
	if err == nil && failed {
		return errRefused(what)
	}
	return err
}

func (centrifugeProto) publish(p *peer, dst, payload []byte) (gws.Opcode, []byte) {
	p.ref++
	dst = append(dst, `{"id":`...)
	dst = strconv.AppendUint(dst, p.ref, 10)
	dst = append(dst, `,"publish":{"channel":`...)
	dst = strconv.AppendQuote(dst, p.roomID)
	dst = append(dst, `,"data":"`...)
	dst = append(dst, payload...) // plain ASCII: no escaping needed
	dst = append(dst, `"}}`...)
	return gws.OpcodeText, dst
}

// pingMsg is the server's ping, and the client's answer, in protocol v2:
// an empty object, alone or as the last line of a message.
var pingMsg = []byte("{}")

func (centrifugeProto) pong(msg []byte) []byte {
	if bytes.Equal(msg, pingMsg) || bytes.HasSuffix(msg, []byte("\n{}")) {
		return pingMsg
	}
	return nil
}
