package engine_test

import (
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
)

// A protocol error in the same message as a send queued to a busy room:
// the reader's hold of its outbox, waiting for the send's reply, must
// not keep the error and the close from being written. The hold's time
// limit is raised far past the test's wait, so that only the close can
// end the hold.
func TestQueuedSendThenProtocolErrorCloses(t *testing.T) {
	mod := newTestModule()
	env := newEnv(t, engine.Config{RateLimit: -1, ReplyHold: time.Minute}, mod)
	a := env.dial("a")
	roomID := a.join(testKind, testParams{Name: "busy"}).Room
	b := env.rawDial("b", nil)
	b.connect()
	b.join(1, testKind, testParams{Name: "busy"})
	go func() { _, _ = a.Send(testCtx(t), roomID, "slow", nil) }()
	mod.log.wait(t, hookRec{Room: roomID, Hook: "message", User: "a"}, 1)
	data, _ := codec.MarshalData(echo.SayData{Text: "queued"})
	msg := codec.AppendSend(nil, 2, roomID, "say", data, "")
	msg = codec.AppendReply(msg, 3, "", "", nil) // a server-only frame: protocol error
	b.send(msg)
	res := b.readClose(3 * time.Second)
	t.Logf("frames %d close %d %q", len(res.frames), res.closeCode, res.reason)
	if res.closeCode == 0 {
		t.Fatalf("no close frame within 3s (%d frames)", len(res.frames))
	}
}
