package boltstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/boltstore"
	"github.com/parlorhq/parlor/codec"
)

// BenchmarkAppendDMs measures the durable write of a chat message the way
// the chat module makes it (the entry with a client message id, its
// encoding and the sender's read receipt), with 1,000 direct conversations whose 2,000
// members each send in a closed loop, as parlor-chatload does, but
// without the WebSockets: the store's own share of a message. It reports
// messages per second, the process CPU per message (cpu-µs/msg, all
// goroutines: the callers and the writer), the file pages written per
// message (pages/msg) and the writes per commit.
func BenchmarkAppendDMs(b *testing.B) { benchAppend(b, 1000, 2) }

// BenchmarkAppendGroups: the same with 50 groups of 20 members.
func BenchmarkAppendGroups(b *testing.B) { benchAppend(b, 50, 20) }

func benchAppend(b *testing.B, rooms, size int) {
	s, err := boltstore.Open(filepath.Join(b.TempDir(), "chat.db"), boltstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	text := string(make([]byte, 100))
	// One goroutine per room keeps its seqs in order; its members take
	// turns, and many rooms queue at the writer at once, as in the
	// module, where a room stores one message at a time.
	type dm struct {
		id      string
		members []string
		seq     uint64
	}
	all := make([]*dm, rooms)
	for i := range all {
		r := &dm{id: fmt.Sprintf("room-%064d", i)}
		for j := range size {
			r.members = append(r.members, fmt.Sprintf("user-%d-%d", i, j))
		}
		r.seq = 1
		kind := chat.KindDM
		if size > 2 {
			kind = chat.KindGroup
		}
		info := &chat.RoomInfo{ID: r.id, Kind: kind, Members: r.members, Created: 1}
		e := chat.Message{Room: r.id, Seq: 1, Kind: chat.KindMembers, Time: 1}
		if _, _, err := s.Append(ctx, chat.Write{Entry: e, Room: info}); err != nil {
			b.Fatal(err)
		}
		all[i] = r
	}
	var left atomic.Int64
	left.Store(int64(b.N))
	st0 := s.Stats()
	w0, c0, p0 := st0.Writes, st0.Commits, st0.Pages
	cpu0 := cpuTime()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, rooms)
	for _, r := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; left.Add(-1) >= 0; n++ {
				r.seq++
				from := r.members[n%len(r.members)]
				e := chat.Message{Room: r.id, Seq: r.seq, ID: fmt.Sprint(r.id, r.seq), Kind: chat.KindMessage,
					From: from, ClientMsgID: fmt.Sprint("c", r.seq), Time: time.Now().UnixMilli(), Text: text}
				// The module passes the entry encoded for its broadcast.
				raw, err := codec.MarshalData(e)
				if err != nil {
					errs <- err
					return
				}
				w := chat.Write{Entry: e, Read: &chat.Receipt{User: from, Seq: r.seq}, Encoded: raw}
				if _, _, err := s.Append(ctx, w); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	st := s.Stats()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/msg")
	b.ReportMetric(float64(st.Pages-p0)/float64(st.Writes-w0), "pages/msg")
	if c := st.Commits - c0; c > 0 {
		b.ReportMetric(float64(st.Writes-w0)/float64(c), "writes/commit")
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
