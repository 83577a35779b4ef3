package metrics_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
)

// exportedNames returns the name of every metric family the package
// exports, each touched once so that labelled families appear, with the
// kind of each (counter, gauge, histogram).
func exportedNames(t *testing.T) map[string]string {
	t.Helper()
	m, reg := newMetrics(t)
	m.Connected()
	m.Disconnected(1000)
	m.UpgradeRefused(401)
	m.MessageRead(10)
	m.FrameRead(codec.TypeJoin)
	m.MessageWritten(1, 10, 10)
	m.FramesWritten(codec.TypeEvent, 1)
	m.SlowConsumer()
	m.RateLimited()
	m.RequestDone("chat.dm", codec.TypeSend, false, time.Millisecond)
	m.MailboxDepth("chat.dm", 1)
	m.RoomOpened("chat.dm")
	m.Resumed("chat.dm", engine.ResumeRecovered)
	m.Moved("games.chess")
	m.Finished("games.chess", games.Result{Winner: 0, Reason: "checkmate"})
	if err := m.CountStoreWrites(func() (uint64, uint64) { return 1, 1 }); err != nil {
		t.Fatal(err)
	}
	if err := m.CountCluster(func() engine.ClusterStats { return engine.ClusterStats{} }); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, mf := range mfs {
		names[mf.GetName()] = strings.ToLower(mf.GetType().String())
	}
	// The chat store histogram appears once an append was timed.
	names["parlor_chat_store_append_duration_seconds"] = "histogram"
	return names
}

var metricRef = regexp.MustCompile(`parlor_[a-z_]+`)

// TestDocsNameEveryMetric: docs/operations.md describes every exported
// metric, and the docs, the alert rules and the Grafana dashboard name no
// metric that does not exist.
func TestDocsNameEveryMetric(t *testing.T) {
	names := exportedNames(t)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "docs", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	ops := read("operations.md")
	for name := range names {
		if !strings.Contains(ops, "| `"+name+"` |") {
			t.Errorf("docs/operations.md has no table row for %s", name)
		}
	}
	for _, doc := range []string{"operations.md", "prometheus-alerts.yml", "grafana-dashboard.json"} {
		for _, ref := range slices.Compact(slices.Sorted(slices.Values(metricRef.FindAllString(read(doc), -1)))) {
			if !known(names, ref) {
				t.Errorf("docs/%s names %s, which no collector exports", doc, ref)
			}
		}
	}
}

// known reports whether ref is an exported metric, or a histogram's
// _bucket, _sum or _count series.
func known(names map[string]string, ref string) bool {
	if _, ok := names[ref]; ok {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(ref, suffix); ok && names[base] == "histogram" {
			return true
		}
	}
	return false
}
