package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"
)

// TestMetricsOnTheAppsRegistry: Parlor's metrics land on the registry the
// app passes in, beside the app's own, and GET /metrics serves them.
func TestMetricsOnTheAppsRegistry(t *testing.T) {
	defer goleak.VerifyNone(t)
	reg := prometheus.NewRegistry()
	logins := prometheus.NewCounter(prometheus.CounterOpts{Name: "hostserver_logins_total", Help: "Sign-ins."})
	reg.MustRegister(logins)
	logins.Inc()
	h := startHostWith(t, appConfig{Registry: reg})
	defer h.stop()

	h.dial(bearer(h.token("alice")))
	if st := h.upgradeStatus(nil); st != http.StatusUnauthorized {
		t.Fatalf("upgrade without credentials = %d, want 401", st)
	}
	resp := h.get("/metrics", nil)
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics = %d", resp.StatusCode)
	}
	for _, want := range []string{
		"hostserver_logins_total 1\n",
		"parlor_connections_open 1\n",
		"parlor_connects_total 1\n",
		`parlor_upgrades_refused_total{status="401"} 1` + "\n",
		`parlor_frames_received_total{type="connect"} 1` + "\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
