package games

import (
	"testing"
	"time"
)

// TestConfigDefaults checks what the zero Config stands for, and that the
// per-user limits take a negative value as their default too.
func TestConfigDefaults(t *testing.T) {
	for _, in := range []Config{{}, {MaxMoveBytes: -1, MaxChallenges: -1, MaxMatches: -1, MaxQueued: -1, QuickMatchStrikes: -1, QuickMatchCooldown: -1, NoticeQueue: -1}} {
		c := in.withDefaults()
		if c.MaxMoveBytes != 256 || c.MaxChallenges != 10 || c.MaxMatches != 30 || c.MaxQueued != 1 ||
			c.QuickMatchStrikes != 3 || c.QuickMatchCooldown != time.Minute || c.Ledger == nil || c.NoticeQueue != 16 {
			t.Fatalf("defaults of %+v: %+v", in, c)
		}
	}
	if c := (Config{}).withDefaults(); c.Grace != DefaultGrace || c.StartTimeout != DefaultStartTimeout || c.MaxSpectators != DefaultMaxSpectators ||
		c.ReplayLimit != 1000 || c.Store != nil {
		t.Fatalf("defaults: %+v", c)
	}
	if c := (Config{ReplayLimit: -1}).withDefaults(); c.ReplayLimit != -1 {
		t.Fatalf("a negative ReplayLimit became %d", c.ReplayLimit)
	}
}
