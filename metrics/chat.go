package metrics

import (
	"context"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/prometheus/client_golang/prometheus"
)

// ChatStore returns s with its appends timed into
// parlor_chat_store_append_duration_seconds (and failures counted in
// parlor_chat_store_append_errors_total). Pass the result as
// chat.Config.Store; every other method goes to s unchanged. Keep s
// itself for anything beyond the chat.Store interface, and for Close.
func (m *Metrics) ChatStore(s chat.Store) chat.Store { return &timedStore{Store: s, m: m} }

// timedStore times the appends of the chat.Store it embeds.
type timedStore struct {
	chat.Store
	m *Metrics
}

// Append implements chat.Store.
func (s *timedStore) Append(ctx context.Context, w chat.Write) (chat.Message, bool, error) {
	start := time.Now()
	stored, dup, err := s.Store.Append(ctx, w)
	s.m.chatAppend.Observe(time.Since(start).Seconds())
	if err != nil {
		s.m.chatAppendErrors.Inc()
	}
	return stored, dup, err
}

// CountStoreWrites exports a store's write and commit counters, read at
// each scrape by stats, as parlor_chat_store_writes_total and
// parlor_chat_store_commits_total. A commit here is a durable commit that
// acks wait for: the ratio of the rates is the mean batch size of a
// group-committing store. For chat/boltstore, whose acks wait for its
// write-ahead log, those are the log's syncs:
//
//	m.CountStoreWrites(func() (uint64, uint64) { st := store.Stats(); return st.Writes, st.Syncs })
//
// It fails if the counters are already registered.
func (m *Metrics) CountStoreWrites(stats func() (writes, commits uint64)) error {
	writes := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "parlor_chat_store_writes_total", Help: "Writes committed by the chat store."},
		func() float64 { w, _ := stats(); return float64(w) })
	commits := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "parlor_chat_store_commits_total", Help: "Durable commits of the chat store that acks wait for (log syncs for chat/boltstore); writes per commit is the commit batch size."},
		func() float64 { _, c := stats(); return float64(c) })
	if err := m.reg.Register(writes); err != nil {
		return err
	}
	return m.reg.Register(commits)
}
