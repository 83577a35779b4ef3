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

	"github.com/parlorhq/parlor/chat"
)

// faultProxy is a TCP proxy on loopback between the store and the
// database. Once armed, it passes the next COMMIT on to the server and
// then closes the store's side at once: the transaction commits, but its
// answer never arrives. While stalled, it holds what the store sends: the
// server hears of it only once the stall ends.
type faultProxy struct {
	ln      net.Listener
	target  string
	armed   atomic.Bool
	stalled atomic.Bool
	cuts    atomic.Int64
	wg      sync.WaitGroup
}

func newFaultProxy(t *testing.T, target string) *faultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{ln: ln, target: target}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		_ = ln.Close()
		p.wg.Wait()
	})
	return p
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
					if bytes.Contains(buf[:n], []byte("commit\x00")) && p.armed.CompareAndSwap(true, false) {
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
// COMMIT and before its answer came back. The store cannot know whether
// the entry was stored; its retry finds the entry by its write id and
// reports it as stored, once: not a duplicate, not a conflict, not an
// error, and not a second entry.
func TestLostCommitReply(t *testing.T) {
	ctx := context.Background()
	dsn, err := url.Parse(testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := newFaultProxy(t, dsn.Host)
	dsn.Host = proxy.ln.Addr().String()
	s, err := Open(ctx, dsn.String(), Options{Schema: newSchema(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	entries := []chat.Message{
		{Room: "d", Seq: 1, ID: "m1", Kind: chat.KindMessage, From: "a", Time: 1, Text: "with id", ClientMsgID: "c1"},
		{Room: "d", Seq: 2, ID: "m2", Kind: chat.KindMessage, From: "a", Time: 2, Text: "without"},
	}
	for _, e := range entries {
		proxy.armed.Store(true)
		got, dup, err := s.Append(ctx, chat.Write{Entry: e})
		if err != nil || dup || got.ID != e.ID || got.Seq != e.Seq {
			t.Fatalf("Append(%s) with its commit reply lost: %+v, duplicate %v, %v", e.ID, got, dup, err)
		}
	}
	if n := proxy.cuts.Load(); n != 2 {
		t.Fatalf("%d replies cut, want 2", n)
	}
	h, err := s.History(ctx, "d", 0, 10)
	if err != nil || len(h) != 2 || h[0].ID != "m1" || h[1].ID != "m2" {
		t.Fatalf("history: %+v, %v", h, err)
	}
	// A real resend (another call, same client message id) is still a
	// duplicate, and a real conflict still a conflict.
	resend := entries[0]
	resend.Seq, resend.ID = 3, "m3"
	if got, dup, err := s.Append(ctx, chat.Write{Entry: resend}); err != nil || !dup || got.ID != "m1" {
		t.Fatalf("resend: %+v, %v, %v", got, dup, err)
	}
	if _, _, err := s.Append(ctx, chat.Write{Entry: entries[1]}); !errors.Is(err, chat.ErrSeqConflict) {
		t.Fatalf("appending seq 2 again: %v, want ErrSeqConflict", err)
	}
}
