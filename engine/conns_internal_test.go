package engine

import (
	"slices"
	"testing"
)

// connsEngine is an engine with only what the connection slots need, at
// two connections a user.
func connsEngine() *Engine {
	return &Engine{cfg: Config{MaxConnsPerUser: 2}, userConns: newShardedMap[*userConns]()}
}

// connState is alice's connection slots on e.
func connState(e *Engine) (slots, owed int, owing *session, sessions []*session) {
	e.userConns.update("alice", func(m map[string]*userConns) {
		if uc := m["alice"]; uc != nil {
			slots, owed, owing, sessions = uc.slots, uc.owed, uc.owing, slices.Clone(uc.sessions)
		}
	})
	return
}

// TestConnDebtFollowsEviction: a connection admitted over the limit that
// is evicted before its connect frame (it closed, and its slot is taken
// at once by the next upgrade) hands the eviction it owed to the
// connection that took its slot, so the user comes back within the limit
// at that connection's connect frame. A failed upgrade over the limit
// gives back its slot and its debt.
func TestConnDebtFollowsEviction(t *testing.T) {
	e := connsEngine()
	open := func(wantOwes bool) (*session, *session) {
		t.Helper()
		ok, evict, tk := e.acquireConn("alice")
		if !ok || tk.owes != wantOwes {
			t.Fatalf("acquire: ok %v owes %v, want ok and owes %v", ok, tk.owes, wantOwes)
		}
		s := &session{user: "alice"}
		e.registerConn(s, tk)
		return s, evict
	}
	a, _ := open(false)
	b, _ := open(false)
	p, _ := open(true) // over the limit: owes an eviction
	p.closed.Store(true)
	q, evicted := open(true) // p, closing, makes room at once, and q owes in its place
	if evicted != p {
		t.Fatalf("evicted %p, want the closing connection %p", evicted, p)
	}
	e.releaseConn("alice", p) // p's close: its slot already moved
	a.closed.Store(true)      // q resumed a, which is closing
	e.settleConn(q)           // a's slot is q's
	if slots, owed, owing, sessions := connState(e); slots != 2 || owed != 0 || owing != nil || !slices.Equal(sessions, []*session{b, q}) {
		t.Fatalf("after the connect frame: %d slots, owed %d, owing %v, sessions %v; want 2, 0, nil, [b q]", slots, owed, owing, sessions)
	}

	ok, _, tk := e.acquireConn("alice")
	if !ok || !tk.owes {
		t.Fatalf("acquire over the limit: ok %v owes %v", ok, tk.owes)
	}
	e.releaseUpgrade("alice", tk) // the upgrade failed
	if slots, owed, _, _ := connState(e); slots != 2 || owed != 0 {
		t.Fatalf("after a failed upgrade: %d slots, owed %d; want 2, 0", slots, owed)
	}
	if _, _, tk := e.acquireConn("alice"); !tk.owes {
		t.Fatal("the next connection over the limit does not owe: the failed upgrade kept the debt")
	}
}
