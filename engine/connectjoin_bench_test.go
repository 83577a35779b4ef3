package engine

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"testing"

	"github.com/lxzan/gws"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/internal/echo"
	"go.uber.org/zap"
)

// BenchmarkConnectJoin measures what a new connection's first two
// messages cost inside the server, without sockets: a fresh session
// handles a connect (its resume token is made) and a join of an echo
// room of 10 members, through the reader's path (handleAside, its worker's hand-off), and its
// outbox is drained. One op is one connection; allocs/op and B/op are
// the garbage and the state a connection's setup leaves, the session
// itself and its presence included.
func BenchmarkConnectJoin(b *testing.B) {
	e, err := New(Config{
		Authenticate: func(*http.Request) (string, error) { return "", nil },
		Secret:       []byte("parlor connect join benchmark"),
		Logger:       zap.NewNop(),
		RateLimit:    -1,
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := e.Register(echo.Module{}); err != nil {
		b.Fatal(err)
	}
	connect := codec.AppendConnect(nil, 1, "bench", "")
	joins := make([][]byte, b.N/10+1)
	for i := range joins {
		params := codec.AppendString(codec.AppendString(codec.AppendMapHeader(nil, 1), "name"), fmt.Sprintf("room-%d", i))
		joins[i] = codec.AppendJoin(nil, 2, echo.Kind, params, "", 0)
	}
	sessions := make([]*session, 0, b.N)
	var batch [][]byte

	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		s := newSession(e, nil, fmt.Sprintf("u%d", i), "")
		s.deadlineSet.Store(math.MaxInt64 / 2) // no socket: never moved
		s.out.writing = true                   // no writer is started
		s.runAside(connect)
		s.runAside(joins[i/10])
		batch = drainOutbox(s, batch)
		sessions = append(sessions, s)
	}
	b.StopTimer()
	for _, s := range sessions {
		if !s.connected || s.roomCount() != 1 {
			b.Fatalf("session %s: connected %v, rooms %d; want connected in 1 room", s.id, s.connected, s.roomCount())
		}
	}
	if err := e.Shutdown(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// runAside handles msg the way the reader handles a connect or a join:
// through handleAside.
func (s *session) runAside(msg []byte) {
	m := gws.Message{Opcode: gws.OpcodeBinary, Data: bytes.NewBuffer(msg)}
	s.handleAside(&m)
}
