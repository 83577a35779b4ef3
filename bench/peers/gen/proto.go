package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/lxzan/gws"
)

// proto is what differs between the servers under test: how a client
// connects and joins a room, how it asks for a broadcast, and how it
// answers the protocol's own pings. Everything else, payloads included, is
// the same for all of them.
type proto interface {
	// target returns the URL and request header of connection id, which
	// is going to join room.
	target(base string, id int, room string) (url string, header http.Header)
	// join runs the handshake on a connected peer and returns once the
	// server has confirmed that the peer is a member of room.
	join(ctx context.Context, p *peer, room string) error
	// publish appends to dst the message that asks the server to
	// broadcast payload to p's room, and returns it with its opcode.
	publish(p *peer, dst, payload []byte) (gws.Opcode, []byte)
	// pong returns the answer to a protocol-level ping message, or nil
	// when msg is not one. WebSocket pings are answered by gws.
	pong(msg []byte) []byte
}

// protos are the servers the generator can drive, by name.
var protos = map[string]proto{
	"parlor":     parlorProto{},
	"gwsraw":     gwsrawProto{},
	"centrifuge": centrifugeProto{},
	"socketio":   socketioProto{},
}

// protoNames lists the protocol names, sorted.
func protoNames() string {
	var names []string
	for n := range protos {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// awaitText reads handshake messages until one satisfies ok; fail reports
// a message that is an error.
func awaitText(ctx context.Context, p *peer, want string, ok, fail func(string) bool) error {
	for {
		m, err := p.await(ctx)
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", want, err)
		}
		s := string(m)
		if fail != nil && fail(s) {
			return fmt.Errorf("waiting for %s: got %.200q", want, s)
		}
		if ok(s) {
			return nil
		}
	}
}

// errRefused is a join step the server answered with an error.
func errRefused(what string) error { return errors.New(what + " refused by the server") }
