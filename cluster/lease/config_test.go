package lease

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	c := Config{Node: "n"}.withDefaults()
	if c.Bucket != DefaultBucket || c.TTL != DefaultTTL || c.RenewInterval != DefaultTTL/3 ||
		c.Replicas != DefaultReplicas || c.OpTimeout != DefaultOpTimeout || c.Logger == nil {
		t.Errorf("defaults: %+v", c)
	}
	if c := (Config{TTL: 9 * time.Second}).withDefaults(); c.RenewInterval != 3*time.Second {
		t.Errorf("RenewInterval for TTL 9s = %v, want 3s", c.RenewInterval)
	}
	if c := (Config{RenewInterval: -1}).withDefaults(); c.RenewInterval >= 0 {
		t.Errorf("a negative RenewInterval became %v", c.RenewInterval)
	}
}

func TestTakenError(t *testing.T) {
	var err error = &TakenError{Owner: "b", Revision: 3}
	if !errors.Is(err, ErrTaken) || errors.Is(err, ErrLost) {
		t.Errorf("TakenError matches ErrTaken only")
	}
	if _, err := NewManager(t.Context(), nil, Config{}); !errors.Is(err, ErrNoNode) {
		t.Errorf("NewManager without a node = %v", err)
	}
}

// An idle lease is renewed with TTL/3 of its TTL left by default, never
// less than TTL/3 for a short RenewInterval, and never earlier than a
// busy lease.
func TestIdleLeft(t *testing.T) {
	for _, tc := range []struct {
		ttl, renew, want time.Duration
	}{
		{3 * time.Second, time.Second, time.Second},           // the default ratio
		{10 * time.Second, time.Second, 10 * time.Second / 3}, // short RenewInterval: TTL/3
		{10 * time.Second, 8 * time.Second, 2 * time.Second},  // long RenewInterval: as a busy lease
		{10 * time.Second, 5 * time.Second, 5 * time.Second},  // RenewInterval itself
	} {
		m := &Manager{cfg: Config{TTL: tc.ttl, RenewInterval: tc.renew}}
		if got := m.idleLeft(); got != tc.want {
			t.Errorf("TTL %v, RenewInterval %v: idleLeft %v, want %v", tc.ttl, tc.renew, got, tc.want)
		}
	}
}

// A renewal pass takes the leases due nearest deadline first, so an idle
// lease, renewed with the least time left, does not wait behind busy
// ones; leases not due are left out.
func TestDuePassOrder(t *testing.T) {
	now := time.Now()
	m := &Manager{cfg: Config{TTL: 3 * time.Second, RenewInterval: time.Second}, leases: map[string]*Lease{}}
	add := func(room string, lastWrite time.Duration, idle bool) {
		m.leases[room] = &Lease{room: room, deadline: now.Add(-lastWrite).Add(3 * time.Second), idle: idle}
	}
	add("busy-old", 2500*time.Millisecond, false)  // due, 0.5 s left
	add("busy", 1200*time.Millisecond, false)      // due, 1.8 s left
	add("idle-due", 2200*time.Millisecond, true)   // due, 0.8 s left
	add("idle-young", 1500*time.Millisecond, true) // not due: 1.5 s left, idle
	add("busy-young", 500*time.Millisecond, false) // not due
	var rooms []string
	for _, d := range m.duePass(now, nil) {
		rooms = append(rooms, d.l.room)
	}
	if want := []string{"busy-old", "idle-due", "busy"}; !slices.Equal(rooms, want) {
		t.Fatalf("pass %v, want %v", rooms, want)
	}
}
