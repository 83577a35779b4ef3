package main

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
)

// ---- The app's Parlor module ----
//
// echoModule is the smallest useful room.Module: named rooms where members
// "say" text that every member receives. It shows the two halves of a
// module: Resolve turns join parameters into a room id, and the handler
// runs each room.

// echoKind is the module's kind, the first argument of a join.
const echoKind = "echo"

// maxEchoText bounds the text of one say event, in bytes.
const maxEchoText = 4096

// echoJoin are the join parameters: the room's name.
type echoJoin struct {
	Name string `msgpack:"name"`
}

// echoSay is the payload of a say event.
type echoSay struct {
	Text string `msgpack:"text"`
}

// echoSaid is the broadcast payload: who said what. From is always the
// authenticated sender, never a field of the message.
type echoSaid struct {
	From string `msgpack:"from"`
	Text string `msgpack:"text"`
}

// echoSnapshot is what a joiner gets: the members and the number of
// messages said so far.
type echoSnapshot struct {
	Members []string `msgpack:"members"`
	Count   int      `msgpack:"count"`
}

// echoModule is the app's module.
type echoModule struct{}

// Kind implements room.Module.
func (echoModule) Kind() string { return echoKind }

// Resolve implements room.Module: the room id is the keyed hash of the
// name, so every node with the same secret finds the same room.
func (echoModule) Resolve(_ context.Context, req *room.ResolveRequest) (string, error) {
	var p echoJoin
	if err := codec.UnmarshalData(req.Params, &p); err != nil {
		return "", err
	}
	name := strings.TrimSpace(p.Name)
	if name == "" || len(name) > 64 {
		return "", codec.Errorf(codec.CodeBadRequest, "name must be 1 to 64 bytes")
	}
	return req.KeyedID(name), nil
}

// NewHandler implements room.Module.
func (echoModule) NewHandler(string) room.Handler { return &echoRoom{} }

// echoRoom is one room. Its methods run on the room's goroutine.
type echoRoom struct {
	room.BaseHandler
	count int
}

func (h *echoRoom) OnJoin(r *room.Room, j *room.Join) (any, error) {
	members := r.Members()
	if !j.Rejoin {
		members = append(members, j.User)
	}
	return echoSnapshot{Members: members, Count: h.count}, nil
}

func (h *echoRoom) OnMessage(r *room.Room, m *room.Message) (any, error) {
	if m.Event != "say" {
		return nil, room.ErrUnknownEvent
	}
	var d echoSay
	if err := codec.UnmarshalData(m.Data, &d); err != nil {
		return nil, err
	}
	if d.Text == "" || len(d.Text) > maxEchoText || !utf8.ValidString(d.Text) {
		return nil, codec.Errorf(codec.CodeBadRequest, "text must be 1 to %d bytes of UTF-8", maxEchoText)
	}
	h.count++
	seq, err := r.Broadcast("said", echoSaid{From: m.User, Text: d.Text})
	if err != nil {
		return nil, err
	}
	return map[string]uint64{"seq": seq}, nil
}
