package cluster

import (
	"testing"
	"time"

	"go.uber.org/zap"
)

// Silences that end within silenceSpan of each other count as one for
// the checks: since stays at the first one's start, so that a loss seen
// between them is not passed over by a check that looks after the second.
func TestSilenceFrom(t *testing.T) {
	hb := time.Second
	n := &Node{cfg: NodeConfig{HeartbeatInterval: hb, NodeTimeout: 5 * hb}, log: zap.NewNop(), resurfaced: make(chan struct{})}
	t0 := time.Now()
	n.lastBeat = t0
	n.beat(t0.Add(hb))
	if !n.SilenceStart().IsZero() {
		t.Fatal("a beat on time counted as a silence")
	}
	n.beat(t0.Add(10 * hb)) // a silence from t0+1s
	first := t0             // the beat before it (t0+1s), less an interval
	if !n.silenceFrom.Equal(first) {
		t.Fatalf("after the first silence: since %v, want %v", n.silenceFrom.Sub(t0), first.Sub(t0))
	}
	n.beat(t0.Add(11 * hb))
	n.beat(t0.Add(20 * hb)) // another, 10 s after the first ended
	if !n.silenceFrom.Equal(first) {
		t.Fatalf("a silence soon after another moved since to %v", n.silenceFrom.Sub(t0))
	}
	later := t0.Add(20*hb + silenceSpan + hb)
	n.beat(later) // a silence more than silenceSpan after the last ended
	if want := t0.Add(20*hb - hb); !n.silenceFrom.Equal(want) {
		t.Fatalf("a silence long after: since %v, want %v", n.silenceFrom.Sub(t0), want.Sub(t0))
	}
	if s := n.silences.Load(); s != 3 {
		t.Fatalf("%d silences counted, want 3", s)
	}
}
