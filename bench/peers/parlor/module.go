package main

import (
	"context"
	"strings"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
)

// kind is the benchmark module's kind.
const kind = "peers"

// joinParams name the room to join.
type joinParams struct {
	Name string `msgpack:"name"`
}

// module is the Parlor side of the benchmark's workload: named rooms where
// a member's "say" payload is broadcast unchanged, as "said", to every
// member, the sender included.
type module struct{}

// Kind implements room.Module.
func (module) Kind() string { return kind }

// Resolve implements room.Module: the room id is the keyed hash of the name.
func (module) Resolve(_ context.Context, req *room.ResolveRequest) (string, error) {
	var p joinParams
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
func (module) NewHandler(string) room.Handler { return handler{} }

// handler broadcasts says; it keeps no state.
type handler struct{ room.BaseHandler }

// OnMessage broadcasts a say's raw payload. BroadcastRaw keeps the slice,
// and m.Data is only valid during the call, so it is copied once.
func (handler) OnMessage(r *room.Room, m *room.Message) (any, error) {
	if m.Event != "say" {
		return nil, room.ErrUnknownEvent
	}
	r.BroadcastRaw("said", append([]byte(nil), m.Data...))
	return nil, nil
}
