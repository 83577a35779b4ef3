package metrics_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/storetest"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/internal/testserver"
	"github.com/parlorhq/parlor/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const waitTimeout = 10 * time.Second

// newMetrics returns Metrics on a registry of their own.
func newMetrics(t *testing.T) (*metrics.Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(metrics.Config{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

// value returns the value of the counter or gauge name with labels, or of
// the sample count of the histogram name; 0 if the series does not exist.
func value(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, s := range mf.GetMetric() {
			got := map[string]string{}
			for _, lp := range s.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue series
				}
			}
			switch {
			case s.Counter != nil:
				return s.GetCounter().GetValue()
			case s.Gauge != nil:
				return s.GetGauge().GetValue()
			case s.Histogram != nil:
				return float64(s.GetHistogram().GetSampleCount())
			}
		}
	}
	return 0
}

// waitValue waits until value(name, labels) is want.
func waitValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string, want float64) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		got := value(t, reg, name, labels)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%v = %v, want %v", name, labels, got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type labels = map[string]string

func TestEngineSeries(t *testing.T) {
	m, reg := newMetrics(t)
	srv := testserver.Start(t, engine.Config{Observer: m}, echo.Module{})
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()

	alice, bob := srv.Dial("alice"), srv.Dial("bob")
	waitValue(t, reg, "parlor_connections_open", nil, 2)
	aj, err := alice.Join(ctx, echo.Kind, echo.JoinParams{Name: "lobby"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Join(ctx, echo.Kind, echo.JoinParams{Name: "lobby"}); err != nil {
		t.Fatal(err)
	}
	const says = 5
	for i := range says {
		if _, err := alice.Send(ctx, aj.Room, "say", echo.SayData{Text: strings.Repeat("x", i+1)}); err != nil {
			t.Fatal(err)
		}
	}
	// A refused send and a join of a kind nobody registered.
	if _, err := alice.Send(ctx, aj.Room, "say", echo.SayData{}); err == nil {
		t.Fatal("empty say accepted")
	}
	if _, err := alice.Join(ctx, "nope", nil); err == nil {
		t.Fatal("join of an unknown kind accepted")
	}
	for range says {
		testserver.NextNamed(t, bob, aj.Room, "said", waitTimeout)
	}

	want := []struct {
		name   string
		labels labels
		value  float64
	}{
		{"parlor_connects_total", nil, 2},
		{"parlor_frames_received_total", labels{"type": "connect"}, 2},
		{"parlor_frames_received_total", labels{"type": "join"}, 3},
		{"parlor_frames_received_total", labels{"type": "send"}, says + 1},
		{"parlor_request_duration_seconds", labels{"kind": echo.Kind, "type": "join"}, 2},
		{"parlor_request_duration_seconds", labels{"kind": echo.Kind, "type": "send"}, says + 1},
		{"parlor_request_duration_seconds", labels{"kind": "none", "type": "join"}, 1},
		{"parlor_request_errors_total", labels{"kind": echo.Kind, "type": "send"}, 1},
		{"parlor_request_errors_total", labels{"kind": "none", "type": "join"}, 1},
		{"parlor_room_mailbox_depth", labels{"kind": echo.Kind}, says + 1},
		{"parlor_rooms_open", labels{"kind": echo.Kind}, 1},
		{"parlor_rooms_created_total", labels{"kind": echo.Kind}, 1},
		{"parlor_frames_sent_total", labels{"type": "connected"}, 2},
		{"parlor_frames_sent_total", labels{"type": "joined"}, 2},
	}
	for _, w := range want {
		waitValue(t, reg, w.name, w.labels, w.value)
	}
	// Every said event reached both members: at least says frames each.
	if got := value(t, reg, "parlor_frames_sent_total", labels{"type": "event"}); got < 2*says {
		t.Errorf("event frames sent = %v, want at least %d", got, 2*says)
	}
	msgs := value(t, reg, "parlor_messages_sent_total", nil)
	if frames := value(t, reg, "parlor_sent_message_frames", nil); msgs == 0 || frames != msgs {
		t.Errorf("messages sent %v, frames-per-message samples %v: want equal and non-zero", msgs, frames)
	}
	if value(t, reg, "parlor_sent_bytes_total", nil) == 0 || value(t, reg, "parlor_received_bytes_total", nil) == 0 {
		t.Error("no bytes counted")
	}

	// A refused upgrade, and a close by the client.
	resp, err := http.Get(srv.HTTP.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	waitValue(t, reg, "parlor_upgrades_refused_total", labels{"status": "426"}, 1)
	_ = bob.Close()
	waitValue(t, reg, "parlor_connections_open", nil, 1)
	waitValue(t, reg, "parlor_disconnects_total", labels{"code": "1000"}, 1)
}

func TestResumeOutcomes(t *testing.T) {
	m, reg := newMetrics(t)
	srv := testserver.Start(t, engine.Config{Observer: m}, echo.Module{})
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	alice := srv.Dial("alice")
	j, err := alice.Join(ctx, echo.Kind, echo.JoinParams{Name: "r"})
	if err != nil {
		t.Fatal(err)
	}
	params, err := codec.MarshalData(echo.JoinParams{Name: "r"})
	if err != nil {
		t.Fatal(err)
	}
	// Rejoins by hand: from the room's epoch and seq (everything since is
	// replayable), from an epoch the room never had, and of a kind that
	// does not exist.
	joins := []struct {
		frame   []byte
		outcome string
		kind    string
	}{
		{codec.AppendJoin(nil, 901, echo.Kind, params, j.Epoch, j.Seq), "recovered", echo.Kind},
		{codec.AppendJoin(nil, 902, echo.Kind, params, "another-epoch", 1), "not_recovered", echo.Kind},
		{codec.AppendJoin(nil, 903, "nope", params, j.Epoch, j.Seq), "refused", "none"},
	}
	for _, jn := range joins {
		if err := alice.WriteRaw(jn.frame); err != nil {
			t.Fatal(err)
		}
		waitValue(t, reg, "parlor_resumes_total", labels{"kind": jn.kind, "outcome": jn.outcome}, 1)
	}
}

func TestRateLimitedFrames(t *testing.T) {
	m, reg := newMetrics(t)
	srv := testserver.Start(t, engine.Config{Observer: m, RateLimit: 0.001, RateBurst: 2, RateStrikes: 100}, echo.Module{})
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	// alice's connect and first send spend her burst; the next three sends
	// are dropped and counted.
	alice := srv.Dial("alice")
	for i := range 4 {
		if err := alice.WriteRaw(codec.AppendSend(nil, uint64(100+i), "room", "say", nil, "")); err != nil {
			t.Fatal(err)
		}
	}
	waitValue(t, reg, "parlor_rate_limited_frames_total", nil, 3)
	// A bystander with a connection of his own is unaffected: his connect
	// and join fit his own burst.
	bob := srv.Dial("bob")
	if _, err := bob.Join(ctx, echo.Kind, echo.JoinParams{Name: "r"}); err != nil {
		t.Fatalf("bob's join: %v", err)
	}
	if got := value(t, reg, "parlor_rate_limited_frames_total", nil); got != 3 {
		t.Errorf("rate-limited frames after bob's join = %v, want 3", got)
	}
}

func TestGameSeries(t *testing.T) {
	m, reg := newMetrics(t)
	var obs games.Observer = m
	obs.Moved("games.tictactoe")
	obs.Moved("games.tictactoe")
	obs.Finished("games.tictactoe", games.Result{Winner: 0, Reason: "line"})
	obs.Finished("games.chess", games.Result{Winner: -1, Reason: "stalemate"})
	checks := []struct {
		name   string
		labels labels
		value  float64
	}{
		{"parlor_game_moves_total", labels{"kind": "games.tictactoe"}, 2},
		{"parlor_games_finished_total", labels{"kind": "games.tictactoe", "result": "win", "reason": "line"}, 1},
		{"parlor_games_finished_total", labels{"kind": "games.chess", "result": "draw", "reason": "stalemate"}, 1},
	}
	for _, c := range checks {
		if got := value(t, reg, c.name, c.labels); got != c.value {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.value)
		}
	}
}

// TestChatStoreConformance runs the chat store suite on a timed store: the
// wrapper changes nothing a store does.
func TestChatStoreConformance(t *testing.T) {
	m, reg := newMetrics(t)
	storetest.Run(t, func(t *testing.T) chat.Store { return m.ChatStore(chat.NewMemoryStore()) })
	if value(t, reg, "parlor_chat_store_append_duration_seconds", nil) == 0 {
		t.Error("no append timed")
	}
	if value(t, reg, "parlor_chat_store_append_errors_total", nil) == 0 {
		t.Error("the suite's sequence conflicts were not counted as append errors")
	}
}

func TestCountStoreWrites(t *testing.T) {
	m, reg := newMetrics(t)
	writes, commits := uint64(12), uint64(3)
	if err := m.CountStoreWrites(func() (uint64, uint64) { return writes, commits }); err != nil {
		t.Fatal(err)
	}
	if got := value(t, reg, "parlor_chat_store_writes_total", nil); got != 12 {
		t.Errorf("writes = %v, want 12", got)
	}
	if got := value(t, reg, "parlor_chat_store_commits_total", nil); got != 3 {
		t.Errorf("commits = %v, want 3", got)
	}
	if err := m.CountStoreWrites(func() (uint64, uint64) { return 0, 0 }); err == nil {
		t.Error("registering the store counters twice succeeded")
	}
}

// TestCountCluster: every cluster series reads the stats at the scrape,
// and a second registration is refused.
func TestCountCluster(t *testing.T) {
	m, reg := newMetrics(t)
	st := engine.ClusterStats{Connected: true, Leases: 4, LeasesLost: 1, Forwarded: 30, ForwardUnreached: 2,
		BatchesPublished: 50, BatchesReceived: 60, BatchGaps: 3, Silences: 5, NodesGone: 6}
	if err := m.CountCluster(func() engine.ClusterStats { return st }); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"parlor_cluster_connected": 1, "parlor_cluster_leases": 4, "parlor_cluster_leases_lost_total": 1,
		"parlor_cluster_forwarded_total": 30, "parlor_cluster_forward_unreached_total": 2,
		"parlor_cluster_batches_published_total": 50, "parlor_cluster_batches_received_total": 60,
		"parlor_cluster_batch_gaps_total": 3, "parlor_cluster_silences_total": 5, "parlor_cluster_nodes_gone_total": 6,
	}
	for name, v := range want {
		if got := value(t, reg, name, nil); got != v {
			t.Errorf("%s = %v, want %v", name, got, v)
		}
	}
	st.Connected, st.Leases = false, 0
	if got := value(t, reg, "parlor_cluster_connected", nil); got != 0 {
		t.Errorf("connected after the node was cut off = %v, want 0", got)
	}
	if got := value(t, reg, "parlor_cluster_leases", nil); got != 0 {
		t.Errorf("leases after they ended = %v, want 0", got)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) != 0 {
		t.Errorf("lint: %v, %+v", err, problems)
	}
	if err := m.CountCluster(func() engine.ClusterStats { return st }); err == nil {
		t.Error("registering the cluster series twice succeeded")
	}
}

// TestNewTwiceOnOneRegistry: the second set of collectors is refused, not
// merged.
func TestNewTwiceOnOneRegistry(t *testing.T) {
	_, reg := newMetrics(t)
	if _, err := metrics.New(metrics.Config{Registerer: reg}); err == nil {
		t.Fatal("a second Metrics registered on the same registry")
	}
}

// TestExpositionLint: the exposition has no problem client_golang's linter
// (the one promtool check metrics runs) reports.
func TestExpositionLint(t *testing.T) {
	m, reg := newMetrics(t)
	m.Connected()
	m.FrameRead(codec.TypeSend)
	m.MessageWritten(3, 300, 600)
	m.RequestDone("chat.dm", codec.TypeSend, true, time.Millisecond)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

// TestServerCloseCodesCounted: every close code the server sends has a
// series of its own, among them 1012 (a room moved, on a cluster) and
// 4011 (signed out by the host); a code of the client's own outside the
// list is "other".
func TestServerCloseCodesCounted(t *testing.T) {
	m, reg := newMetrics(t)
	codes := []uint16{
		engine.CloseGoingAway, engine.CloseUnsupported, engine.CloseMalformed, engine.ClosePolicy,
		engine.CloseTooLarge, engine.CloseInternal, engine.CloseRoomMoved, engine.CloseHeartbeatTimeout,
		engine.CloseSlowConsumer, engine.CloseReplaced, engine.CloseEvicted, engine.CloseSignedOut,
		engine.CloseRateLimited,
	}
	for _, c := range codes {
		m.Disconnected(c)
	}
	m.Disconnected(4999)
	for _, c := range codes {
		if got := value(t, reg, "parlor_disconnects_total", labels{"code": strconv.Itoa(int(c))}); got != 1 {
			t.Errorf("code %d: %v, want its own series at 1", c, got)
		}
	}
	if got := value(t, reg, "parlor_disconnects_total", labels{"code": "other"}); got != 1 {
		t.Errorf("other: %v, want 1", got)
	}
}
