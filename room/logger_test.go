package room_test

import (
	"testing"

	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// A room's logger is made when it first logs, with the room's fields,
// and is the same logger afterwards.
func TestRoomLoggerFields(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	h := &hooks{message: func(*room.Room, *room.Message) (any, error) { panic("boom") }}
	r := startRoom(t, h, room.Config{Logger: zap.New(core)})
	s := newSession("alice", "a1")
	mustJoin(t, r, s, 1)
	if err := r.Send(s, 2, "x", nil, ""); err != nil {
		t.Fatal(err)
	}
	do(t, r, func() {})
	if r.Logger() != r.Logger() {
		t.Fatal("Logger returns a new logger each time")
	}
	entries := logs.FilterMessage("handler panic").All()
	if len(entries) != 1 {
		t.Fatalf("%d handler panic entries, want 1", len(entries))
	}
	fields := entries[0].ContextMap()
	if fields["room"] != testRoomID || fields["kind"] != testKind {
		t.Fatalf("panic logged with fields %v, want the room's id and kind", fields)
	}
}
