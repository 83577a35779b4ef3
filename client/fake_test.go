package client_test

// Tests against a scripted server (fakeServer), for what a real engine
// does not produce on demand: overlapping replays, refused and transient
// rejoins, every close code, refused upgrades on reconnect.

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
)

// outcome is the result of a call run in the background.
type outcome[T any] struct {
	v   T
	err error
}

// async runs fn in a goroutine.
func async[T any](fn func() (T, error)) <-chan outcome[T] {
	ch := make(chan outcome[T], 1)
	go func() {
		v, err := fn()
		ch <- outcome[T]{v, err}
	}()
	return ch
}

// await waits for an async call.
func await[T any](t *testing.T, ch <-chan outcome[T]) (T, error) {
	t.Helper()
	select {
	case o := <-ch:
		return o.v, o.err
	case <-time.After(waitTimeout):
		t.Fatalf("call still waiting after %v", waitTimeout)
	}
	panic("unreachable")
}

// dialFake dials fs and plays the first handshake (session s1).
func dialFake(t *testing.T, fs *fakeServer, opts client.Options) (*client.Client, *fakeConn) {
	t.Helper()
	ch := async(func() (*client.Client, error) { return client.Dial(context.Background(), fs.url(), opts) })
	fc := fs.accept()
	if f := fc.handshake(1, false); f.Token != "" {
		t.Fatalf("first connect presents token %q", f.Token)
	}
	c, err := await(t, ch)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, fc
}

// joinFake joins room id on fc (seq, epoch) with params {"n": id}.
func joinFake(t *testing.T, c *client.Client, fc *fakeConn, id string, seq uint64, epoch string) {
	t.Helper()
	ch := async(func() (*client.Joined, error) { return c.Join(ctx(t), "k", map[string]string{"n": id}) })
	f := fc.expect(codec.TypeJoin)
	if f.Epoch != "" || f.Seq != 0 {
		t.Fatalf("a fresh join presents epoch %q since %d", f.Epoch, f.Seq)
	}
	fc.send(codec.AppendJoined(nil, f.Ref, id, seq, mustData(t, "snap-"+id), epoch, false))
	j, err := await(t, ch)
	if err != nil || j.Room != id || j.Seq != seq || j.Epoch != epoch {
		t.Fatalf("Join: %+v, %v", j, err)
	}
}

func mustData(t *testing.T, v any) []byte {
	t.Helper()
	b, err := codec.MarshalData(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func event(room string, seq uint64, name string) []byte {
	return codec.AppendEvent(nil, room, seq, name, nil)
}

// expectEvents reads len(want) events and checks their "seq:name".
func expectEvents(t *testing.T, c *client.Client, want ...string) {
	t.Helper()
	for i, w := range want {
		ev := nextEvent(t, c)
		if got := evString(ev); got != w {
			t.Fatalf("event %d: %s, want %s", i, got, w)
		}
	}
}

func evString(ev client.Event) string {
	s := ev.Room + "/" + itoa(ev.Seq) + ":" + ev.Name
	if ev.Left {
		s += "(left " + ev.Reason + ")"
	}
	return s
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// TestFakeResumeRecovered: the reconnect presents the last token, rejoins
// with epoch and since, and a recovered replay that overlaps what the
// client has is delivered without duplicates or a rejoin notice.
func TestFakeResumeRecovered(t *testing.T) {
	fs := newFakeServer(t)
	log := newStateLog(false)
	c, fc := dialFake(t, fs, client.Options{Reconnect: fast, OnStateChange: log.record})
	joinFake(t, c, fc, "r1", 5, "e1")
	fc.send(event("r1", 6, "a"), event("r1", 7, "b"), event("r1", 0, "typing"))
	expectEvents(t, c, "r1/6:a", "r1/7:b", "r1/0:typing")

	fc.kill()
	sc := log.wait(t, client.StateReconnecting)
	if sc.Attempt != 1 || sc.Err == nil || sc.Delay < 0 || sc.Delay >= fast.MinDelay {
		t.Fatalf("reconnecting %+v, want attempt 1 with a delay under %v and the loss", sc, fast.MinDelay)
	}
	fc2 := fs.accept()
	if f := fc2.handshake(2, true); f.Token != "tok-s1" {
		t.Fatalf("reconnect presents token %q, want tok-s1", f.Token)
	}
	j := fc2.expect(codec.TypeJoin)
	var params map[string]string
	if err := codec.UnmarshalData(j.Params, &params); err != nil || j.Kind != "k" || params["n"] != "r1" {
		t.Fatalf("rejoin kind %q params %v (%v)", j.Kind, params, err)
	}
	if j.Epoch != "e1" || j.Seq != 7 {
		t.Fatalf("rejoin presents epoch %q since %d, want e1 since 7", j.Epoch, j.Seq)
	}
	// The replay overlaps what the client has (6, 7), repeats itself (8),
	// and is followed by a live ephemeral event and ordered event.
	fc2.send(codec.AppendJoined(nil, j.Ref, "r1", 7, nil, "e1", true),
		event("r1", 6, "a"), event("r1", 7, "b"), event("r1", 8, "c"), event("r1", 8, "c"),
		event("r1", 9, "d"), event("r1", 0, "typing"), event("r1", 10, "e"))
	expectEvents(t, c, "r1/8:c", "r1/9:d", "r1/0:typing", "r1/10:e")
	if sc := log.wait(t, client.StateOpen); !sc.Resumed || sc.Attempt != 1 {
		t.Fatalf("open after reconnect: %+v, want resumed, attempt 1", sc)
	}
	if c.SessionID() != "s2" || c.State() != client.StateOpen || c.Err() != nil {
		t.Fatalf("session %q state %s err %v", c.SessionID(), c.State(), c.Err())
	}

	// The next reconnect presents the newest token and seq.
	fc2.kill()
	fc3 := fs.accept()
	if f := fc3.handshake(3, true); f.Token != "tok-s2" {
		t.Fatalf("second reconnect presents token %q, want tok-s2", f.Token)
	}
	if j := fc3.expect(codec.TypeJoin); j.Epoch != "e1" || j.Seq != 10 {
		t.Fatalf("second rejoin presents epoch %q since %d, want e1 since 10", j.Epoch, j.Seq)
	}
}

// TestFakeRejoinedNotice: without recovery the client delivers
// EventRejoined with the fresh snapshot and seq, then events after it.
func TestFakeRejoinedNotice(t *testing.T) {
	fs := newFakeServer(t)
	c, fc := dialFake(t, fs, client.Options{Reconnect: fast})
	joinFake(t, c, fc, "r1", 5, "e1")
	fc.send(event("r1", 6, "a"))
	expectEvents(t, c, "r1/6:a")

	fc.kill()
	fc2 := fs.accept()
	fc2.handshake(2, false)
	j := fc2.expect(codec.TypeJoin)
	// A new epoch: its seqs are unrelated, and may be lower.
	fc2.send(codec.AppendJoined(nil, j.Ref, "r1", 3, mustData(t, "fresh"), "e2", false),
		event("r1", 3, "old"), event("r1", 4, "x"))
	ev := nextEvent(t, c)
	var snap string
	if ev.Name != client.EventRejoined || ev.Room != "r1" || ev.Seq != 3 || ev.Decode(&snap) != nil || snap != "fresh" {
		t.Fatalf("notice %+v (snapshot %q), want %s r1 seq 3 with the snapshot", ev, snap, client.EventRejoined)
	}
	expectEvents(t, c, "r1/4:x")

	fc2.kill()
	fc3 := fs.accept()
	fc3.handshake(3, false)
	if j := fc3.expect(codec.TypeJoin); j.Epoch != "e2" || j.Seq != 4 {
		t.Fatalf("rejoin presents epoch %q since %d, want e2 since 4", j.Epoch, j.Seq)
	}
}

// TestFakeResendInOrder: sends unanswered when the connection drops, and
// sends made while it is down, go out again after the rejoin, in their
// original order and with their client message ids; each call returns its
// own reply.
func TestFakeResendInOrder(t *testing.T) {
	fs := newFakeServer(t)
	log := newStateLog(true)
	c, fc := dialFake(t, fs, client.Options{Reconnect: fast, OnStateChange: log.record})
	joinFake(t, c, fc, "r1", 0, "e1")

	type sent struct {
		ch   <-chan outcome[client.Reply]
		cmid string
	}
	var sends []sent
	send := func(name string, opts ...client.SendOption) <-chan outcome[client.Reply] {
		return async(func() (client.Reply, error) { return c.Send(ctx(t), "r1", name, name, opts...) })
	}
	for _, name := range []string{"s1", "s2", "s3"} {
		var opts []client.SendOption
		if name == "s2" {
			opts = append(opts, client.WithClientMsgID("mine"))
		}
		ch := send(name, opts...)
		f := fc.expect(codec.TypeSend) // written before the next is made
		if f.Event != name || f.ClientMsgID == "" || (name == "s2" && f.ClientMsgID != "mine") {
			t.Fatalf("send %+v", f)
		}
		sends = append(sends, sent{ch, f.ClientMsgID})
	}
	if sends[0].cmid == sends[2].cmid {
		t.Fatal("two sends share a generated client message id")
	}

	fc.kill()
	log.wait(t, client.StateReconnecting) // held at the gate
	ch4 := send("s4")                     // made while the client is away: it goes out after the others
	log.release(t)
	fc2 := fs.accept()
	fc2.handshake(2, true)
	j := fc2.expect(codec.TypeJoin)
	// Nothing else goes out before the room is joined again.
	select {
	case f := <-fc2.frames:
		t.Fatalf("a %s frame before the rejoin was answered", f.Type)
	case <-time.After(50 * time.Millisecond):
	}
	fc2.send(codec.AppendJoined(nil, j.Ref, "r1", 0, nil, "e1", true))
	var refs []uint64
	for i, want := range []string{"s1", "s2", "s3", "s4"} {
		f := fc2.expect(codec.TypeSend)
		var data string
		_ = codec.UnmarshalData(f.Data, &data)
		if f.Event != want || data != want || f.Room != "r1" {
			t.Fatalf("resend %d: %s %q to %s, want %s", i, f.Event, data, f.Room, want)
		}
		if i < 3 && f.ClientMsgID != sends[i].cmid {
			t.Fatalf("resend %s carries client message id %q, want %q", want, f.ClientMsgID, sends[i].cmid)
		}
		refs = append(refs, f.Ref)
	}
	sends = append(sends, sent{ch4, ""})
	// Answer out of order: every call gets its own reply.
	for _, i := range []int{2, 0, 3, 1} {
		fc2.send(codec.AppendReply(nil, refs[i], "", "", mustData(t, "re-"+itoa(uint64(i)))))
	}
	for i, s := range sends {
		rep, err := await(t, s.ch)
		var got string
		if err != nil || rep.Decode(&got) != nil || got != "re-"+itoa(uint64(i)) {
			t.Fatalf("send %d: %q, %v", i, got, err)
		}
	}
}

// TestFakeJoinAndLeaveInFlight: a join unanswered at the drop is sent
// again (fresh) on the next connection; a leave unanswered returns nil and
// its room is not joined again.
func TestFakeJoinAndLeaveInFlight(t *testing.T) {
	fs := newFakeServer(t)
	c, fc := dialFake(t, fs, client.Options{Reconnect: fast})
	joinFake(t, c, fc, "r1", 0, "e1")
	joinFake(t, c, fc, "r2", 0, "e2")

	leave := async(func() (struct{}, error) { return struct{}{}, c.Leave(ctx(t), "r1") })
	if f := fc.expect(codec.TypeLeave); f.Room != "r1" {
		t.Fatalf("leave %+v", f)
	}
	join := async(func() (*client.Joined, error) { return c.Join(ctx(t), "k", map[string]string{"n": "r3"}) })
	fc.expect(codec.TypeJoin)
	fc.kill()
	if _, err := await(t, leave); err != nil {
		t.Fatalf("Leave cut by the drop: %v, want nil", err)
	}

	fc2 := fs.accept()
	fc2.handshake(2, true)
	j := fc2.expect(codec.TypeJoin)
	var params map[string]string
	_ = codec.UnmarshalData(j.Params, &params)
	if params["n"] != "r2" || j.Epoch != "e2" {
		t.Fatalf("first rejoin is for %v (epoch %q), want only r2", params, j.Epoch)
	}
	fc2.send(codec.AppendJoined(nil, j.Ref, "r2", 0, nil, "e2", true))
	f := fc2.expect(codec.TypeJoin)
	_ = codec.UnmarshalData(f.Params, &params)
	if params["n"] != "r3" || f.Epoch != "" || f.Seq != 0 {
		t.Fatalf("resent join %v epoch %q since %d, want a fresh join of r3", params, f.Epoch, f.Seq)
	}
	fc2.send(codec.AppendJoined(nil, f.Ref, "r3", 9, nil, "e3", false))
	if jn, err := await(t, join); err != nil || jn.Room != "r3" || jn.Seq != 9 {
		t.Fatalf("Join cut by the drop: %+v, %v", jn, err)
	}

	// Leaving while the connection is going away needs no answer.
	fc2.kill()
	if err := c.Leave(ctx(t), "r3"); err != nil {
		t.Fatalf("Leave while away: %v", err)
	}
}

// TestFakeRejoinRefused: a refused rejoin gives the room up with a left
// notice; a transient refusal is tried again.
func TestFakeRejoinRefused(t *testing.T) {
	fs := newFakeServer(t)
	c, fc := dialFake(t, fs, client.Options{Reconnect: fast})
	joinFake(t, c, fc, "r1", 0, "e1")
	joinFake(t, c, fc, "r2", 0, "e2")

	fc.kill()
	fc2 := fs.accept()
	fc2.handshake(2, true)
	j1, j2 := fc2.expect(codec.TypeJoin), fc2.expect(codec.TypeJoin)
	fc2.send(codec.AppendReply(nil, j1.Ref, codec.CodeForbidden, "banned", nil),
		codec.AppendReply(nil, j2.Ref, codec.CodeUnavailable, "busy", nil))
	ev := nextEvent(t, c)
	var ce *codec.Error
	if !ev.Left || ev.Room != "r1" || ev.Reason != client.ReasonRejoinFailed || !errors.As(ev.Err, &ce) || ce.Code != codec.CodeForbidden {
		t.Fatalf("event %+v, want a %s left notice for r1 with forbidden", ev, client.ReasonRejoinFailed)
	}
	// r2 is tried again after a backoff delay.
	j := fc2.expect(codec.TypeJoin)
	if j.Epoch != "e2" {
		t.Fatalf("retried rejoin presents epoch %q", j.Epoch)
	}
	fc2.send(codec.AppendJoined(nil, j.Ref, "r2", 0, nil, "e2", true))
	// A send after the restore goes out at once: the client is open.
	ch := async(func() (client.Reply, error) { return c.Send(ctx(t), "r2", "x", nil) })
	f := fc2.expect(codec.TypeSend)
	fc2.send(codec.AppendReply(nil, f.Ref, "", "", nil))
	if _, err := await(t, ch); err != nil {
		t.Fatal(err)
	}

	// r1 is forgotten: the next reconnect joins r2 only.
	fc2.kill()
	fc3 := fs.accept()
	fc3.handshake(3, true)
	j = fc3.expect(codec.TypeJoin)
	fc3.send(codec.AppendJoined(nil, j.Ref, "r2", 0, nil, "e2", true))
	ch = async(func() (client.Reply, error) { return c.Send(ctx(t), "r2", "y", nil) })
	if f := fc3.next(); f.Type != codec.TypeSend || f.Event != "y" {
		t.Fatalf("after the only rejoin: %s %+v, want the send", f.Type, f)
	} else {
		fc3.send(codec.AppendReply(nil, f.Ref, "", "", nil))
	}
	if _, err := await(t, ch); err != nil {
		t.Fatal(err)
	}
}

// TestFakeRejoinUnavailableKeepsRoom: a rejoin refused with unavailable
// (the server's cluster cut off) is tried again for as long as it takes,
// without counting toward giving the room up, and a send waiting for it
// fails with the refusal; rate_limited counts, and gives r2 up at its
// sixth refusal (five tries again), while r1 is joined again. Each room is tried on its own: the
// connection opens after the first round, and a room joined again
// meanwhile (r3) sends at once.
func TestFakeRejoinUnavailableKeepsRoom(t *testing.T) {
	fs := newFakeServer(t)
	c, fc := dialFake(t, fs, client.Options{Reconnect: fast})
	joinFake(t, c, fc, "r1", 0, "e1")
	joinFake(t, c, fc, "r2", 0, "e2")
	joinFake(t, c, fc, "r3", 0, "e3")

	fc.kill()
	fc2 := fs.accept()
	fc2.handshake(2, true)
	waiting := async(func() (client.Reply, error) { return c.Send(ctx(t), "r1", "x", nil) })
	tries := map[string]int{}
	var last codec.Frame // r1's 13th rejoin
	var other <-chan outcome[client.Reply]
	sent := false
	for tries["r1"] < 13 || tries["r2"] < 13 || !sent {
		f := fc2.next()
		if f.Type == codec.TypeSend {
			if f.Room != "r3" || sent {
				t.Fatalf("a send %+v, want r3's one", f)
			}
			sent = true
			fc2.send(codec.AppendReply(nil, f.Ref, "", "", nil))
			continue
		}
		if f.Type != codec.TypeJoin {
			t.Fatalf("a %s frame %+v", f.Type, f)
		}
		room := map[string]string{"e1": "r1", "e2": "r2", "e3": "r3"}[f.Epoch] // a rejoin names its room by its epoch here
		tries[room]++
		switch n := tries[room]; {
		case room == "r3" && n == 1:
			fc2.send(codec.AppendJoined(nil, f.Ref, "r3", 0, nil, "e3", true))
		case room == "r1" && n == 13:
			last = f
		case room == "r1", room == "r2" && n <= 7:
			fc2.send(codec.AppendReply(nil, f.Ref, codec.CodeUnavailable, "cut off", nil))
		case room == "r2" && n <= 13:
			fc2.send(codec.AppendReply(nil, f.Ref, codec.CodeRateLimited, "again", nil))
		default:
			t.Fatalf("rejoin %d of %q (epoch %q)", n, room, f.Epoch)
		}
		if room == "r1" && tries["r1"] == 2 {
			// The connection is open, and r3's sends go out while r1 and
			// r2 are still being joined again.
			if st := c.State(); st != client.StateOpen {
				t.Fatalf("state %v while two rooms are being joined again, want open", st)
			}
			other = async(func() (client.Reply, error) { return c.Send(ctx(t), "r3", "y", nil) })
		}
	}
	if _, err := await(t, other); err != nil {
		t.Fatalf("r3's send: %v", err)
	}
	var ce *codec.Error
	if _, err := await(t, waiting); !errors.As(err, &ce) || ce.Code != codec.CodeUnavailable {
		t.Fatalf("a send waiting for r1's rejoin: %v, want the unavailable refusal", err)
	}
	ev := nextEvent(t, c)
	if !ev.Left || ev.Room != "r2" || ev.Reason != client.ReasonRejoinFailed || !errors.As(ev.Err, &ce) || ce.Code != codec.CodeRateLimited {
		t.Fatalf("event %+v, want a %s left notice for r2 with rate_limited", ev, client.ReasonRejoinFailed)
	}
	if last.Epoch != "e1" {
		t.Fatalf("rejoin after 12 unavailable rounds presents epoch %q, want e1's", last.Epoch)
	}
	fc2.send(codec.AppendJoined(nil, last.Ref, "r1", 0, nil, "e1", true))
	ch := async(func() (client.Reply, error) { return c.Send(ctx(t), "r1", "x", nil) })
	f := fc2.expect(codec.TypeSend)
	fc2.send(codec.AppendReply(nil, f.Ref, "", "", nil))
	if _, err := await(t, ch); err != nil {
		t.Fatal(err)
	}
}

// TestFakeReconnectDialTimeout: a reconnect whose upgrade is never
// answered (a paused node behind a load balancer) is given up after the
// policy's DialTimeout, not the much longer RequestTimeout, and the next
// attempt connects.
func TestFakeReconnectDialTimeout(t *testing.T) {
	fs := newFakeServer(t)
	log := newStateLog(false)
	policy := fast
	policy.DialTimeout = 200 * time.Millisecond
	c, fc := dialFake(t, fs, client.Options{RequestTimeout: time.Minute, Reconnect: policy, OnStateChange: log.record})
	joinFake(t, c, fc, "r1", 0, "e1")
	fs.hang.Store(1)
	fc.kill()
	fc2 := fs.accept() // within waitTimeout, far below RequestTimeout
	fc2.handshake(2, true)
	j := fc2.expect(codec.TypeJoin)
	fc2.send(codec.AppendJoined(nil, j.Ref, "r1", 0, nil, "e1", true))
	log.wait(t, client.StateOpen) // the first connection
	sc := log.wait(t, client.StateOpen)
	if sc.Attempt != 2 || fs.tries.Load() != 3 {
		t.Fatalf("open %+v after %d upgrade requests, want attempt 2 and 3 requests", sc, fs.tries.Load())
	}
}

// TestFakeNoReconnectAfterCloseCodes: 1007, 1008, 4009, 4010, 4011 and
// 4029 end the client; 4000 and 1001 do not.
func TestFakeNoReconnectAfterCloseCodes(t *testing.T) {
	for _, code := range []uint16{1007, 1008, 4009, 4010, 4011, 4029} {
		t.Run(itoa(uint64(code)), func(t *testing.T) {
			fs := newFakeServer(t)
			log := newStateLog(false)
			c, fc := dialFake(t, fs, client.Options{Reconnect: fast, OnStateChange: log.record})
			pending := async(func() (client.Reply, error) { return c.Send(ctx(t), "r1", "x", nil) })
			fc.expect(codec.TypeSend)
			fc.closeWith(code)
			var ce *client.CloseError
			if err := waitDone(t, c); !errors.As(err, &ce) || ce.Code != code {
				t.Fatalf("Err %v, want close %d", err, code)
			}
			if _, err := await(t, pending); !errors.As(err, &ce) || ce.Code != code {
				t.Fatalf("pending Send: %v, want close %d", err, code)
			}
			if sc := log.wait(t, client.StateClosed); !errors.As(sc.Err, &ce) {
				t.Fatalf("closed state %+v", sc)
			}
			if n := log.count(client.StateReconnecting); n != 0 || fs.tries.Load() != 1 {
				t.Fatalf("%d reconnecting states, %d upgrade requests, want 0 and 1", n, fs.tries.Load())
			}
			if c.State() != client.StateClosed {
				t.Fatalf("state %s", c.State())
			}
		})
	}
	for _, code := range []uint16{1001, 4000, 4008} {
		t.Run(itoa(uint64(code)), func(t *testing.T) {
			fs := newFakeServer(t)
			log := newStateLog(false)
			_, fc := dialFake(t, fs, client.Options{Reconnect: fast, OnStateChange: log.record})
			fc.closeWith(code)
			var ce *client.CloseError
			if sc := log.wait(t, client.StateReconnecting); !errors.As(sc.Err, &ce) || ce.Code != code {
				t.Fatalf("reconnecting %+v, want the close %d", sc, code)
			}
			fs.accept().handshake(2, true)
			log.wait(t, client.StateOpen)
		})
	}
}

// TestFakeUpgradeRefusedOnReconnect: 401 and 403 end the client; other
// statuses are tried again.
func TestFakeUpgradeRefusedOnReconnect(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		t.Run(itoa(uint64(status)), func(t *testing.T) {
			fs := newFakeServer(t)
			c, fc := dialFake(t, fs, client.Options{Reconnect: fast})
			fs.refuse.Store(int32(status))
			fc.kill()
			var ue *client.UpgradeError
			if err := waitDone(t, c); !errors.As(err, &ue) || ue.StatusCode != status {
				t.Fatalf("Err %v, want an UpgradeError %d", err, status)
			}
			if n := fs.tries.Load(); n != 2 {
				t.Fatalf("%d upgrade requests, want 2", n)
			}
		})
	}
	t.Run("503 is retried", func(t *testing.T) {
		fs := newFakeServer(t)
		log := newStateLog(true)
		_, fc := dialFake(t, fs, client.Options{Reconnect: fast, OnStateChange: log.record})
		fs.refuse.Store(http.StatusServiceUnavailable)
		fc.kill()
		log.wait(t, client.StateReconnecting)
		log.release(t)
		sc := log.wait(t, client.StateReconnecting) // the refused attempt
		var ue *client.UpgradeError
		if !errors.As(sc.Err, &ue) || ue.StatusCode != 503 || sc.Attempt != 2 {
			t.Fatalf("reconnecting %+v, want attempt 2 after a 503", sc)
		}
		fs.refuse.Store(0)
		log.release(t)
		fs.accept().handshake(2, true)
		if sc := log.wait(t, client.StateOpen); sc.Attempt != 2 {
			t.Fatalf("open %+v, want attempt 2", sc)
		}
	})
}

// TestFakeMaxAttempts: the client gives up after MaxAttempts failed
// attempts in a row, with the last error.
func TestFakeMaxAttempts(t *testing.T) {
	fs := newFakeServer(t)
	p := fast
	p.MaxAttempts = 3
	c, fc := dialFake(t, fs, client.Options{Reconnect: p})
	fs.refuse.Store(http.StatusServiceUnavailable)
	fc.kill()
	var ue *client.UpgradeError
	if err := waitDone(t, c); !errors.As(err, &ue) || ue.StatusCode != 503 {
		t.Fatalf("Err %v, want the last attempt's 503", err)
	}
	if n := fs.tries.Load(); n != 4 {
		t.Fatalf("%d upgrade requests, want 1 + 3 attempts", n)
	}
}

// TestFakeReconnectDisabled: with reconnection off the client ends with
// its connection, and waiting requests fail with the reason.
func TestFakeReconnectDisabled(t *testing.T) {
	fs := newFakeServer(t)
	log := newStateLog(false)
	c, fc := dialFake(t, fs, client.Options{Reconnect: client.ReconnectPolicy{Disabled: true}, OnStateChange: log.record})
	pending := async(func() (client.Reply, error) { return c.Send(ctx(t), "r1", "x", nil) })
	fc.expect(codec.TypeSend)
	fc.kill()
	err := waitDone(t, c)
	if err == nil || errors.Is(err, client.ErrClosed) {
		t.Fatalf("Err %v, want the connection loss", err)
	}
	if _, serr := await(t, pending); serr == nil || serr.Error() != err.Error() {
		t.Fatalf("pending Send: %v, want %v", serr, err)
	}
	drainUntilClosed(t, c)
	if n := log.count(client.StateReconnecting); n != 0 {
		t.Fatalf("%d reconnecting states", n)
	}
}

// TestFakeCloseWhileReconnecting: Close interrupts the backoff wait,
// fails waiting requests with ErrClosed and ends every goroutine (goleak
// checks at the end of the package's tests).
func TestFakeCloseWhileReconnecting(t *testing.T) {
	fs := newFakeServer(t)
	log := newStateLog(false)
	slow := client.ReconnectPolicy{MinDelay: time.Hour, MaxDelay: time.Hour}
	c, fc := dialFake(t, fs, client.Options{Reconnect: slow, OnStateChange: log.record})
	joinFake(t, c, fc, "r1", 0, "e1")
	fc.kill()
	log.wait(t, client.StateReconnecting)
	pending := async(func() (client.Reply, error) { return c.Send(context.Background(), "r1", "x", nil) })
	// A request made while away waits, bounded by its context.
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Send(short, "r1", "y", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send while away: %v, want DeadlineExceeded", err)
	}
	closed := async(func() (struct{}, error) { return struct{}{}, c.Close() })
	if _, err := await(t, closed); err != nil {
		t.Fatal(err)
	}
	if _, err := await(t, pending); !errors.Is(err, client.ErrClosed) {
		t.Fatalf("waiting Send: %v, want ErrClosed", err)
	}
	if !errors.Is(c.Err(), client.ErrClosed) || c.State() != client.StateClosed {
		t.Fatalf("Err %v state %s", c.Err(), c.State())
	}
	drainUntilClosed(t, c)
	if n := fs.tries.Load(); n != 1 {
		t.Fatalf("%d upgrade requests, want 1", n)
	}
}

// TestFakeRequestTimeoutWhileAway: RequestTimeout bounds requests without
// a deadline while the client is away.
func TestFakeRequestTimeoutWhileAway(t *testing.T) {
	fs := newFakeServer(t)
	log := newStateLog(false)
	slow := client.ReconnectPolicy{MinDelay: time.Hour, MaxDelay: time.Hour}
	c, fc := dialFake(t, fs, client.Options{Reconnect: slow, RequestTimeout: 50 * time.Millisecond, OnStateChange: log.record})
	fc.kill()
	log.wait(t, client.StateReconnecting)
	if _, err := c.Join(context.Background(), "k", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Join while away: %v, want DeadlineExceeded", err)
	}
	if err := c.WriteRaw([]byte{0x90}); !errors.Is(err, client.ErrNotConnected) {
		t.Fatalf("WriteRaw while away: %v, want ErrNotConnected", err)
	}
}

// TestFakeAbandonedJoinLeaves: a join answered after its caller gave up
// is left at once, and not joined again after a reconnect.
func TestFakeAbandonedJoinLeaves(t *testing.T) {
	fs := newFakeServer(t)
	c, fc := dialFake(t, fs, client.Options{Reconnect: fast})
	short, cancel := context.WithCancel(context.Background())
	ch := async(func() (*client.Joined, error) { return c.Join(short, "k", nil) })
	f := fc.expect(codec.TypeJoin)
	cancel()
	if _, err := await(t, ch); !errors.Is(err, context.Canceled) {
		t.Fatalf("Join: %v, want Canceled", err)
	}
	fc.send(codec.AppendJoined(nil, f.Ref, "late", 0, nil, "e", false))
	if l := fc.expect(codec.TypeLeave); l.Room != "late" {
		t.Fatalf("leave of %q, want late", l.Room)
	}
	fc.kill()
	fc2 := fs.accept()
	fc2.handshake(2, true)
	// No rejoin: the first frame after the handshake is this send.
	sendCh := async(func() (client.Reply, error) { return c.Send(ctx(t), "x", "e", nil) })
	if f := fc2.next(); f.Type != codec.TypeSend {
		t.Fatalf("got %s, want the send", f.Type)
	} else {
		fc2.send(codec.AppendReply(nil, f.Ref, "", "", nil))
	}
	if _, err := await(t, sendCh); err != nil {
		t.Fatal(err)
	}
}

// TestFakeAbandonedJoinRetried: a join answered after its caller gave up
// is not left while a retry of it (the same kind and parameters) waits
// for its answer: the retry holds the room, and the leave would reach the
// server after it.
func TestFakeAbandonedJoinRetried(t *testing.T) {
	fs := newFakeServer(t)
	c, fc := dialFake(t, fs, client.Options{Reconnect: fast})
	short, cancel := context.WithCancel(context.Background())
	ch := async(func() (*client.Joined, error) { return c.Join(short, "k", map[string]string{"n": "r"}) })
	first := fc.expect(codec.TypeJoin)
	cancel()
	if _, err := await(t, ch); !errors.Is(err, context.Canceled) {
		t.Fatalf("Join: %v, want Canceled", err)
	}
	retry := async(func() (*client.Joined, error) { return c.Join(ctx(t), "k", map[string]string{"n": "r"}) })
	second := fc.expect(codec.TypeJoin)
	fc.send(codec.AppendJoined(nil, first.Ref, "r", 0, nil, "e", false)) // the late answer
	fc.send(codec.AppendJoined(nil, second.Ref, "r", 0, nil, "e", false))
	if j, err := await(t, retry); err != nil || j.Room != "r" {
		t.Fatalf("the retry: %+v, %v", j, err)
	}
	sendCh := async(func() (client.Reply, error) { return c.Send(ctx(t), "r", "e", nil) })
	if f := fc.next(); f.Type != codec.TypeSend {
		t.Fatalf("got a %s frame for %q, want the send: the retried join's room was left", f.Type, f.Room)
	} else {
		fc.send(codec.AppendReply(nil, f.Ref, "", "", nil))
	}
	if _, err := await(t, sendCh); err != nil {
		t.Fatal(err)
	}
}

// TestFakeLeaveRefused: a leave refused with rate_limited keeps the room
// (it is joined again after a reconnect); one refused with forbidden (not
// in the room) forgets it.
func TestFakeLeaveRefused(t *testing.T) {
	fs := newFakeServer(t)
	c, fc := dialFake(t, fs, client.Options{Reconnect: fast})
	joinFake(t, c, fc, "r1", 0, "e1")
	joinFake(t, c, fc, "r2", 0, "e2")
	for _, tt := range []struct {
		room string
		code codec.Code
	}{{"r1", codec.CodeRateLimited}, {"r2", codec.CodeForbidden}} {
		ch := async(func() (struct{}, error) { return struct{}{}, c.Leave(ctx(t), tt.room) })
		f := fc.expect(codec.TypeLeave)
		fc.send(codec.AppendReply(nil, f.Ref, tt.code, "no", nil))
		var ce *codec.Error
		if _, err := await(t, ch); !errors.As(err, &ce) || ce.Code != tt.code {
			t.Fatalf("Leave %s: %v, want %s", tt.room, err, tt.code)
		}
	}
	// Events of the kept room still count: the rejoin presents seq 3.
	fc.send(event("r1", 3, "x"))
	expectEvents(t, c, "r1/3:x")
	fc.kill()
	fc2 := fs.accept()
	fc2.handshake(2, true)
	j := fc2.expect(codec.TypeJoin)
	var params map[string]string
	_ = codec.UnmarshalData(j.Params, &params)
	if params["n"] != "r1" || j.Epoch != "e1" || j.Seq != 3 {
		t.Fatalf("rejoin of %v epoch %q since %d, want r1 e1 3", params, j.Epoch, j.Seq)
	}
	fc2.send(codec.AppendJoined(nil, j.Ref, "r1", 3, nil, "e1", true))
	ch := async(func() (client.Reply, error) { return c.Send(ctx(t), "r1", "y", nil) })
	if f := fc2.next(); f.Type != codec.TypeSend {
		t.Fatalf("got a %s frame, want the send (r2 must not be joined again)", f.Type)
	} else {
		fc2.send(codec.AppendReply(nil, f.Ref, "", "", nil))
	}
	if _, err := await(t, ch); err != nil {
		t.Fatal(err)
	}
}

// TestFakeCloseFromStateCallback: Close called from OnStateChange ends
// the client without deadlocking.
func TestFakeCloseFromStateCallback(t *testing.T) {
	fs := newFakeServer(t)
	var cp atomic.Pointer[client.Client]
	states := make(chan client.State, 16)
	c, fc := dialFake(t, fs, client.Options{Reconnect: fast, OnStateChange: func(sc client.StateChange) {
		states <- sc.State
		if sc.State == client.StateReconnecting {
			_ = cp.Load().Close()
		}
	}})
	cp.Store(c)
	fc.kill()
	if err := waitDone(t, c); !errors.Is(err, client.ErrClosed) {
		t.Fatalf("Err %v, want ErrClosed", err)
	}
	_ = c.Close() // waits for the client's goroutine
	close(states)
	var got []client.State
	for s := range states {
		got = append(got, s)
	}
	want := []client.State{client.StateConnecting, client.StateOpen, client.StateReconnecting, client.StateClosed}
	if len(got) != len(want) {
		t.Fatalf("states %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("states %v, want %v", got, want)
		}
	}
}
