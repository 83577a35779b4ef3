package pgstore

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/games"
)

// faultProxy is a TCP proxy on loopback between the store and the
// database. Once armed, it passes the next COMMIT (or the next statement
// naming cut) on to the server and then closes the store's side at once:
// the server does the work, but its answer never arrives. While stalled,
// it holds what the store sends.
type faultProxy struct {
	ln      net.Listener
	target  string
	cut     []byte
	armed   atomic.Bool
	stalled atomic.Bool
	cuts    atomic.Int64
	wg      sync.WaitGroup
}

// newProxy starts a proxy to the test database that cuts after cut (nil:
// a COMMIT) and returns it with the DSN that goes through it.
func newProxy(t *testing.T, cut []byte) (*faultProxy, string) {
	t.Helper()
	dsn, err := url.Parse(testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cut == nil {
		cut = []byte("commit\x00")
	}
	p := &faultProxy{ln: ln, target: dsn.Host, cut: cut}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		_ = ln.Close()
		p.wg.Wait()
	})
	dsn.Host = ln.Addr().String()
	return p, dsn.String()
}

func (p *faultProxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close()
			continue
		}
		closeBoth := func() { _ = client.Close(); _ = server.Close() }
		p.wg.Go(func() {
			defer closeBoth()
			_, _ = io.Copy(client, server)
		})
		p.wg.Go(func() {
			defer closeBoth()
			buf := make([]byte, 64<<10)
			for {
				n, err := client.Read(buf)
				for p.stalled.Load() {
					time.Sleep(5 * time.Millisecond)
				}
				if n > 0 {
					if _, werr := server.Write(buf[:n]); werr != nil {
						return
					}
					if bytes.Contains(buf[:n], p.cut) && p.armed.CompareAndSwap(true, false) {
						p.cuts.Add(1)
						_ = client.Close()
						return
					}
				}
				if err != nil {
					return
				}
			}
		})
	}
}

// TestLostCommitReply: the connection dies after the server received the
// COMMIT of an append and before its answer came back. The store cannot
// know whether the entries were stored; its retry finds them by its write
// id and reports the append as done, once: not a conflict, not an error,
// and not stored twice. A real second append of the seq is still a
// conflict.
func TestLostCommitReply(t *testing.T) {
	ctx := context.Background()
	proxy, dsn := newProxy(t, nil)
	s, err := Open(ctx, dsn, Options{Schema: newSchema(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	newMatch(t, s, "m")
	fin := games.FinishedGame{Kind: "games.test", Room: "m", Players: []string{"a", "b"}, Ended: time.UnixMilli(9)}
	writes := []games.Write{
		{Match: "m", Entries: []games.Entry{moved(1, 0)}},
		{Match: "m", Entries: []games.Entry{moved(2, 0), moved(3, 0)}, Finished: &fin},
	}
	for _, w := range writes {
		proxy.armed.Store(true)
		if err := s.Append(ctx, w); err != nil {
			t.Fatalf("Append up to seq %d with its commit reply lost: %v", w.Entries[len(w.Entries)-1].Seq, err)
		}
	}
	if n := proxy.cuts.Load(); n != 2 {
		t.Fatalf("%d replies cut, want 2", n)
	}
	_, log, err := s.Load(ctx, "m")
	if err != nil || len(seqsOf(log)) != 3 || log[2].Seq != 3 {
		t.Fatalf("log: %v, %v", seqsOf(log), err)
	}
	if list, err := s.Finished(ctx, "a", games.HistoryCursor{}, 10); err != nil || len(list) != 1 {
		t.Fatalf("a's history: %+v, %v", list, err)
	}
	if err := s.Append(ctx, writes[0]); !errors.Is(err, games.ErrSeqConflict) {
		t.Fatalf("appending seq 1 again: %v, want ErrSeqConflict", err)
	}
}

// TestLostCreateReply: the same for Create, whose statement commits on
// its own: the proxy cuts after the message that binds the match's id to
// the insert (the statement's text went before, when pgx prepared it),
// so the server stores the record and its answer is lost. The retry finds
// the record it stored and succeeds, and a real second Create of the id
// is still refused.
func TestLostCreateReply(t *testing.T) {
	ctx := context.Background()
	proxy, dsn := newProxy(t, []byte("lost-create-reply"))
	s, err := Open(ctx, dsn, Options{Schema: newSchema(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	proxy.armed.Store(true)
	info := games.MatchInfo{ID: "lost-create-reply", Kind: "games.test", Players: []string{"a", "b"}, Epoch: "e", Start: "s"}
	if err := s.Create(ctx, info); err != nil {
		t.Fatalf("Create with its reply lost: %v", err)
	}
	if proxy.cuts.Load() != 1 {
		t.Fatal("the reply was not cut")
	}
	if err := s.Create(ctx, info); !errors.Is(err, games.ErrMatchExists) {
		t.Fatalf("a second Create: %v, want ErrMatchExists", err)
	}
}

// TestTimeout: a database that stops answering (the proxy passes nothing
// on) fails calls with ErrUnavailable after Options.Timeout, instead of
// holding the match room; when it answers again, calls work, and a
// bystander match on another store was never held up.
func TestTimeout(t *testing.T) {
	ctx := context.Background()
	proxy, dsn := newProxy(t, nil)
	s, err := Open(ctx, dsn, Options{Schema: newSchema(t), Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	bystander := openStore(t, newSchema(t), Options{})
	newMatch(t, s, "m")
	newMatch(t, bystander, "m")

	proxy.stalled.Store(true)
	t0 := time.Now()
	if err := s.Append(ctx, games.Write{Match: "m", Entries: []games.Entry{moved(1, 0)}}); !isUnavailable(err) {
		t.Fatalf("Append to a silent database: %v, want ErrUnavailable", err)
	}
	if took := time.Since(t0); took > 5*time.Second {
		t.Fatalf("the call took %v with a timeout of 300ms", took)
	}
	if _, err := s.Finished(ctx, "a", games.HistoryCursor{}, 10); !isUnavailable(err) {
		t.Fatalf("Finished from a silent database: %v, want ErrUnavailable", err)
	}
	if err := bystander.Append(ctx, games.Write{Match: "m", Entries: []games.Entry{moved(1, 0)}}); err != nil {
		t.Fatalf("the bystander store: %v", err)
	}
	proxy.stalled.Store(false)
	if err := s.Append(ctx, games.Write{Match: "m", Entries: []games.Entry{moved(1, 0)}}); err != nil {
		t.Fatalf("Append once the database answers: %v", err)
	}
	if def := openStore(t, newSchema(t), Options{}); def.timeout != DefaultTimeout {
		t.Fatalf("default Timeout %v", def.timeout)
	}
}

func seqsOf(log []games.Entry) []uint64 {
	out := make([]uint64, len(log))
	for i, e := range log {
		out[i] = e.Seq
	}
	return out
}
