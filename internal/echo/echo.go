// Package echo is a small module for tests and load generation:
// named rooms where members "say" text that is broadcast to everyone.
package echo

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
)

// Kind is the module's kind.
const Kind = "echo"

// MaxTextLen bounds the text of one say event, in bytes.
const MaxTextLen = 4096

// JoinParams are the join parameters: the room's name.
type JoinParams struct {
	Name string `msgpack:"name"`
}

// SayData is the payload of a say event.
type SayData struct {
	Text string `msgpack:"text"`
}

// Said is the broadcast payload: who said what. From is always the
// authenticated sender.
type Said struct {
	From string `msgpack:"from"`
	Text string `msgpack:"text"`
}

// Snapshot is what a joiner gets: the current members and the number of
// messages said so far.
type Snapshot struct {
	Members []string `msgpack:"members"`
	Count   int      `msgpack:"count"`
}

// Module is the echo module.
type Module struct{}

// Kind implements room.Module.
func (Module) Kind() string { return Kind }

// Resolve implements room.Module: the room id is the keyed hash of the name.
func (Module) Resolve(_ context.Context, req *room.ResolveRequest) (string, error) {
	var p JoinParams
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
func (Module) NewHandler(string) room.Handler { return &handler{} }

type handler struct {
	room.BaseHandler
	count int
}

func (h *handler) OnJoin(r *room.Room, j *room.Join) (any, error) {
	members := r.Members()
	if !j.Rejoin {
		members = append(members, j.User)
	}
	return Snapshot{Members: members, Count: h.count}, nil
}

func (h *handler) OnMessage(r *room.Room, m *room.Message) (any, error) {
	switch m.Event {
	case "say":
		var d SayData
		if err := codec.UnmarshalData(m.Data, &d); err != nil {
			return nil, err
		}
		if d.Text == "" || len(d.Text) > MaxTextLen || !utf8.ValidString(d.Text) {
			return nil, codec.Errorf(codec.CodeBadRequest, "text must be 1 to %d bytes of UTF-8", MaxTextLen)
		}
		h.count++
		seq, err := r.Broadcast("said", Said{From: m.User, Text: d.Text})
		if err != nil {
			return nil, err
		}
		return map[string]uint64{"seq": seq}, nil
	}
	return nil, room.ErrUnknownEvent
}
