package lease

import (
	"errors"
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
