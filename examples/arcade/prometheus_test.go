package main

// The Prometheus test runs a real Prometheus server (Debian's prometheus
// package: /usr/bin/prometheus and /usr/bin/promtool, or $PROMETHEUS_PATH
// and $PROMTOOL_PATH) that scrapes the arcade's /metrics every 250ms,
// plays a short chat and game load, and asks Prometheus, through its HTTP
// query API, whether the series moved as they should. promtool checks the
// exposition and the alert rules of docs/prometheus-alerts.yml. Without Prometheus the test skips, unless CI=true: then it
// fails.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/games"
)

// promTimeout bounds each wait on Prometheus: start, first scrape, series.
const promTimeout = 30 * time.Second

// requireProm returns the paths of prometheus and promtool, or skips the
// test (fails it when CI=true) when they are missing.
func requireProm(t *testing.T) (prom, promtool string) {
	t.Helper()
	find := func(env, name string) string {
		if p := os.Getenv(env); p != "" {
			name = p
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
		return ""
	}
	prom, promtool = find("PROMETHEUS_PATH", "prometheus"), find("PROMTOOL_PATH", "promtool")
	if prom != "" && promtool != "" {
		return prom, promtool
	}
	msg := "prometheus or promtool not found or not executable; install them (Debian: apt-get install prometheus) or set PROMETHEUS_PATH and PROMTOOL_PATH"
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but %s", msg)
	}
	t.Skipf("Prometheus test skipped: %s", msg)
	return "", ""
}

// promServer is a Prometheus server of the test's own.
type promServer struct {
	t    *testing.T
	base string
	http *http.Client
}

// lockedBuffer collects a process's output for the test log.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startProm starts prometheus, scraping target's /metrics, with its data
// in a temporary directory, and stops it when the test ends.
func startProm(t *testing.T, prom, target string) *promServer {
	t.Helper()
	dir := t.TempDir()
	config := fmt.Sprintf(`global:
  scrape_interval: 250ms
  scrape_timeout: 200ms
scrape_configs:
  - job_name: arcade
    metrics_path: /metrics
    static_configs:
      - targets: [%q]
`, target)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	var out lockedBuffer
	cmd := exec.Command(prom,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--log.level=warn",
	)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus output:\n%s", out.String())
		}
	})
	p := &promServer{t: t, base: "http://" + addr, http: &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true},
	}}
	p.waitFor("Prometheus ready", func() bool {
		resp, err := p.http.Get(p.base + "/-/ready")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

// freeAddr returns a loopback address with a port that was free just now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// waitFor polls cond until it holds, failing the test after promTimeout.
func (p *promServer) waitFor(what string, cond func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(promTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// query runs an instant query and returns the value of its first sample;
// ok is false when the result is empty.
func (p *promServer) query(q string) (v float64, ok bool) {
	p.t.Helper()
	resp, err := p.http.Get(p.base + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		p.t.Fatalf("query %s: %v", q, err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		p.t.Fatalf("query %s: %v", q, err)
	}
	if body.Status != "success" {
		p.t.Fatalf("query %s: %s %s", q, body.Status, body.Error)
	}
	if len(body.Data.Result) == 0 {
		return 0, false
	}
	s, _ := body.Data.Result[0].Value[1].(string)
	v, err = strconv.ParseFloat(s, 64)
	if err != nil {
		p.t.Fatalf("query %s: value %q: %v", q, s, err)
	}
	return v, true
}

// expect waits until query q has a sample that satisfies want.
func (p *promServer) expect(q, what string, want func(float64) bool) {
	p.t.Helper()
	var last float64
	var seen bool
	deadline := time.Now().Add(promTimeout)
	for {
		last, seen = p.query(q)
		if seen && want(last) {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: got %v (any sample: %v), want %s", q, last, seen, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestPrometheusScrapesArcade(t *testing.T) {
	prom, promtool := requireProm(t)
	ta := startArcade(t, "")
	p := startProm(t, prom, ta.srv.Listener.Addr().String())

	// Before any load: the target is up and no connection was made.
	p.expect(`up{job="arcade"}`, "1", func(v float64) bool { return v == 1 })
	p.expect(`parlor_connects_total`, "0", func(v float64) bool { return v == 0 })

	// The load: a refused upgrade, a direct conversation and a game of
	// tic-tac-toe to a win.
	if st := ta.upgradeStatus("/ws", nil); st != http.StatusUnauthorized {
		t.Fatalf("upgrade without a session = %d, want 401", st)
	}
	const messages = 10
	chatAndGameLoad(t, ta, messages)

	checks := []struct {
		q    string
		what string
		want func(float64) bool
	}{
		{`parlor_connects_total`, "2", eq(2)},
		{`parlor_connections_open`, "2", eq(2)},
		{`parlor_upgrades_refused_total{status="401"}`, "1", eq(1)},
		{`parlor_frames_received_total{type="send"}`, "15", eq(messages + 5)},
		{`parlor_request_duration_seconds_count{kind="chat.dm",type="send"}`, "10", eq(messages)},
		{`parlor_request_duration_seconds_count{kind="games.tictactoe",type="send"}`, "5", eq(5)},
		{`parlor_chat_store_append_duration_seconds_count`, ">= 10", atLeast(messages)},
		{`parlor_chat_store_commits_total`, "> 0", atLeast(1)},
		{`parlor_chat_store_writes_total`, ">= 10", atLeast(messages)},
		{`parlor_game_moves_total{kind="games.tictactoe"}`, "5", eq(5)},
		{`parlor_games_finished_total{kind="games.tictactoe",result="win",reason="line"}`, "1", eq(1)},
		{`parlor_rooms_open{kind="chat.dm"}`, "1", eq(1)},
		{`parlor_rooms_open{kind="games.tictactoe"}`, "1", eq(1)},
		{`parlor_frames_sent_total{type="event"}`, ">= 20", atLeast(2 * messages)},
		{`sum(parlor_frames_sent_total) / sum(parlor_messages_sent_total)`, ">= 1 (frames per message)", atLeast(1)},
		{`histogram_quantile(0.99, sum by (le) (parlor_request_duration_seconds_bucket))`, "a latency in (0, 10]s", func(v float64) bool { return v > 0 && v <= 10 }},
	}
	for _, c := range checks {
		p.expect(c.q, c.what, c.want)
	}

	// promtool accepts the exposition.
	resp, err := ta.srv.Client().Get(ta.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	check := exec.Command(promtool, "check", "metrics")
	check.Stdin = bytes.NewReader(body)
	if out, err := check.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
	// And the alert rules that docs/operations.md recommends.
	rules := exec.Command(promtool, "check", "rules", filepath.Join("..", "..", "docs", "prometheus-alerts.yml"))
	if out, err := rules.CombinedOutput(); err != nil {
		t.Errorf("promtool check rules: %v\n%s", err, out)
	}
}

func eq(want float64) func(float64) bool      { return func(v float64) bool { return v == want } }
func atLeast(want float64) func(float64) bool { return func(v float64) bool { return v >= want } }

// chatAndGameLoad has alice send bob messages in their direct conversation, and
// the two play tic-tac-toe until alice wins by a line.
func chatAndGameLoad(t *testing.T, ta *testArcade, messages int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), promTimeout)
	defer cancel()
	aliceH, bobH := ta.login("alice"), ta.login("bob")
	alice, bob := ta.dial(aliceH), ta.dial(bobH)

	aj, err := alice.Join(ctx, chat.KindDM, map[string]string{"with": "bob"})
	if err != nil {
		t.Fatalf("alice joins the DM: %v", err)
	}
	if _, err := bob.Join(ctx, chat.KindDM, map[string]string{"with": "alice"}); err != nil {
		t.Fatalf("bob joins the DM: %v", err)
	}
	for i := range messages {
		if _, err := alice.Send(ctx, aj.Room, "send", map[string]string{"text": fmt.Sprintf("message %d", i)}); err != nil {
			t.Fatalf("alice sends %d: %v", i, err)
		}
	}
	for range messages {
		waitEvent(t, bob, aj.Room, "message")
	}

	gj, err := alice.Join(ctx, "games.tictactoe", games.JoinParams{Opponent: "bob", Nonce: "prom1"})
	if err != nil {
		t.Fatalf("alice joins the match: %v", err)
	}
	if _, err := bob.Join(ctx, "games.tictactoe", games.JoinParams{Opponent: "alice", Nonce: "prom1"}); err != nil {
		t.Fatalf("bob joins the match: %v", err)
	}
	waitEvent(t, alice, gj.Room, games.EventStarted)
	players := []*client.Client{alice, bob}
	for i, cell := range []int{0, 3, 1, 4, 2} {
		if _, err := players[i%2].Send(ctx, gj.Room, games.EventMove, map[string]int{"cell": cell, "ply": i}); err != nil {
			t.Fatalf("move %d: %v", i, err)
		}
	}
	waitEvent(t, bob, gj.Room, games.EventGameOver)
}
