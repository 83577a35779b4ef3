package room_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
)

// benchSession is a room.Session for benchmarks: Deliver keeps the frame
// in a small ring and counts it. Only the room goroutine calls Deliver,
// so it needs no lock.
type benchSession struct {
	id, user string
	n        int
	ring     [16][]byte
}

func (s *benchSession) ID() string     { return s.id }
func (s *benchSession) UserID() string { return s.user }
func (s *benchSession) Deliver(frames []byte) bool {
	s.ring[s.n&15] = frames
	s.n++
	return true
}
func (s *benchSession) RoomJoined(*room.Room)                 {}
func (s *benchSession) RoomLeft(*room.Room, room.LeaveReason) {}

// benchPayload is one encoded msgpack value of exactly size bytes (a str8).
func benchPayload(size int) []byte {
	p := codec.AppendString(nil, strings.Repeat("x", size-2))
	if len(p) != size {
		panic(fmt.Sprintf("payload is %d bytes, want %d", len(p), size))
	}
	return p
}

// BenchmarkBroadcast1000 measures one Broadcast of a 100-byte payload to a
// room of 1,000 members with direct delivery (no Fanout): seq, one encode,
// 1,000 Deliver calls. One op is one broadcast.
func BenchmarkBroadcast1000(b *testing.B) {
	const members = 1000
	r := room.New("bench", "bench", room.BaseHandler{}, room.Config{})
	r.Start()
	defer func() {
		r.Shutdown()
		<-r.Done()
	}()
	ctx := context.Background()
	sessions := make([]*benchSession, members)
	for i := range sessions {
		s := &benchSession{id: fmt.Sprintf("s%d", i), user: fmt.Sprintf("u%d", i)}
		sessions[i] = s
		if err := r.Join(ctx, s, 1, nil); err != nil {
			b.Fatal(err)
		}
	}
	var data any = benchPayload(100) // converted once: no per-op boxing
	if err := r.Do(ctx, func() {
		for _, s := range sessions {
			s.n = 0
		}
	}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	err := r.Do(ctx, func() {
		for range b.N {
			if _, err := r.Broadcast("said", data); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	_ = r.Do(ctx, func() {
		for _, s := range sessions {
			if s.n != b.N {
				b.Errorf("session %s got %d frames, want %d", s.id, s.n, b.N)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)*members/b.Elapsed().Seconds(), "deliveries/s")
}

// BenchmarkResumeJoin100 measures one resuming join that replays the 100
// events the client missed from the room's replay buffer: OnJoin, the
// joined frame and 100 Deliver calls of the buffered frames. One op is one
// resume.
func BenchmarkResumeJoin100(b *testing.B) {
	const missed = 100
	r := room.New("bench", "bench", room.BaseHandler{}, room.Config{})
	r.Start()
	defer func() {
		r.Shutdown()
		<-r.Done()
	}()
	ctx := context.Background()
	var epoch string
	var head uint64
	payload := benchPayload(100)
	if err := r.Do(ctx, func() {
		for range missed + 20 {
			r.BroadcastRaw("said", payload)
		}
		epoch, head = r.Epoch(), r.Seq()
	}); err != nil {
		b.Fatal(err)
	}
	s := &benchSession{id: "s", user: "u"}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := r.JoinFrom(ctx, s, 1, nil, epoch, head-missed); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if s.n != b.N*(missed+1) {
		b.Fatalf("%d frames delivered for %d resumes, want %d", s.n, b.N, b.N*(missed+1))
	}
}

// BenchmarkDoIdle measures one Do on a room with the default ParkAfter
// whose goroutine waits between ops: the hand-off to the room goroutine
// and back, the op, and the goroutine's return to waiting with its park
// timer. One op is one Do.
func BenchmarkDoIdle(b *testing.B) {
	r := room.New("bench", "bench", room.BaseHandler{}, room.Config{})
	r.Start()
	defer func() {
		r.Shutdown()
		<-r.Done()
	}()
	ctx := context.Background()
	n := 0
	fn := func() { n++ }
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := r.Do(ctx, fn); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if err := r.Do(ctx, func() {
		if n != b.N {
			b.Errorf("ran %d ops, want %d", n, b.N)
		}
	}); err != nil {
		b.Fatal(err)
	}
}
