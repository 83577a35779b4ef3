// Package peers_test runs the peers benchmark's quick mode against the
// Parlor and raw gws servers and checks that every broadcast reached
// every member. It measures nothing: the figures come from run.sh.
//
// Run it from bench/peers (its own module, which the main module's
// test.sh does not enter): go test -count=1 .
package peers_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// fanoutReport holds the fields of gen's fan-out report that the test checks.
type fanoutReport struct {
	Server  string `json:"server"`
	Clients int    `json:"clients"`
	Window  int    `json:"window"`
	Fanout  *struct {
		Broadcasts int64 `json:"broadcasts"`
		Deliveries int64 `json:"deliveries"`
		Lost       int64 `json:"lost"`
		Malformed  int64 `json:"malformed"`
	} `json:"fanout"`
}

// idleReport holds the fields of gen's idle report that the test checks.
type idleReport struct {
	Idle *struct {
		Conns     int    `json:"conns"`
		RSSBefore uint64 `json:"rss_before"`
		RSSAfter  uint64 `json:"rss_after"`
	} `json:"idle"`
}

func TestQuickRunDeliversEverything(t *testing.T) {
	out := t.TempDir()
	cmd := exec.Command("bash", "run.sh")
	cmd.Env = append(os.Environ(),
		"QUICK=1", "SERVERS=parlor gwsraw", "WINDOWS=4 16", "REPS=1",
		"CLIENTS=200", "IDLE_CONNS=500", "OUT="+out)
	b, err := cmd.CombinedOutput()
	t.Logf("run.sh output:\n%s", b)
	if err != nil {
		t.Fatalf("run.sh: %v", err)
	}
	for _, server := range []string{"parlor", "gwsraw"} {
		for _, w := range []string{"4", "16"} {
			var r fanoutReport
			readJSON(t, filepath.Join(out, "fanout-"+server+"-w"+w+"-r1.json"), &r)
			f := r.Fanout
			switch {
			case f == nil:
				t.Errorf("%s W=%s: no fan-out result", server, w)
			case f.Broadcasts == 0:
				t.Errorf("%s W=%s: no broadcast sent", server, w)
			case f.Lost != 0 || f.Deliveries != f.Broadcasts*int64(r.Clients):
				t.Errorf("%s W=%s: %d broadcasts to %d members, %d deliveries (%d lost)",
					server, w, f.Broadcasts, r.Clients, f.Deliveries, f.Lost)
			case f.Malformed != 0:
				t.Errorf("%s W=%s: %d malformed payloads", server, w, f.Malformed)
			}
		}
		var r idleReport
		readJSON(t, filepath.Join(out, "idle-"+server+"-r1.json"), &r)
		if r.Idle == nil || r.Idle.Conns != 500 || r.Idle.RSSAfter <= r.Idle.RSSBefore {
			t.Errorf("%s idle: %+v, want 500 connections and RSS growth", server, r.Idle)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "summary.json")); err != nil {
		t.Errorf("no summary: %v", err)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
