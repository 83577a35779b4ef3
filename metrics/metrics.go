package metrics

import (
	"strconv"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/prometheus/client_golang/prometheus"
)

// Config configures New. Every field documents its zero-value default.
type Config struct {
	// Registerer receives the collectors. Default:
	// prometheus.DefaultRegisterer. Hosts that serve their own registry
	// (prometheus.NewRegistry) pass it here.
	Registerer prometheus.Registerer
}

// Metrics is Parlor's set of Prometheus collectors. Pass it as
// engine.Config.Observer and games.Config.Observer; its methods are safe
// for concurrent use.
type Metrics struct {
	reg prometheus.Registerer

	connsOpen      prometheus.Gauge
	connects       prometheus.Counter
	disconnects    *prometheus.CounterVec
	disconnectsBy  map[uint16]prometheus.Counter
	disconnectsAny prometheus.Counter
	refused        *prometheus.CounterVec

	messagesIn  prometheus.Counter
	messagesOut prometheus.Counter
	bytesIn     prometheus.Counter
	bytesOut    prometheus.Counter
	framesIn    [numTypes]prometheus.Counter
	framesOut   [numTypes]prometheus.Counter
	batchFrames prometheus.Histogram
	outbox      prometheus.Histogram
	slow        prometheus.Counter
	rateLimited prometheus.Counter

	requests      *prometheus.HistogramVec
	requestErrors *prometheus.CounterVec
	mailbox       *prometheus.HistogramVec
	roomsOpen     *prometheus.GaugeVec
	roomsCreated  *prometheus.CounterVec
	resumes       *prometheus.CounterVec

	chatAppend       prometheus.Histogram
	chatAppendErrors prometheus.Counter

	moves    *prometheus.CounterVec
	finished *prometheus.CounterVec
}

var (
	_ engine.Observer = (*Metrics)(nil)
	_ games.Observer  = (*Metrics)(nil)
)

// numTypes covers the frame types of parlor.v1 (1 to 10); index 0 counts
// anything else, labelled "unknown".
const numTypes = int(codec.TypeLeft) + 1

// knownCloseCodes are the close codes counted under their own label; any
// other code a client sends is counted as "other", so that a client cannot
// make new series.
var knownCloseCodes = []uint16{
	1000, 1001, 1003, 1005, 1006, 1007, 1008, 1009, 1011,
	engine.CloseRoomMoved,
	engine.CloseHeartbeatTimeout, engine.CloseSlowConsumer, engine.CloseReplaced,
	engine.CloseEvicted, engine.CloseSignedOut, engine.CloseRateLimited,
}

// Buckets of the histograms.
var (
	latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	framesBuckets  = []float64{1, 2, 4, 8, 16, 32, 64}
	outboxBuckets  = prometheus.ExponentialBuckets(256, 4, 8) // 256 B to 4 MiB
	mailboxBuckets = []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512}
)

// New creates the collectors and registers them on cfg.Registerer. It
// fails if one of them is already registered there.
func New(cfg Config) (*Metrics, error) {
	if cfg.Registerer == nil {
		cfg.Registerer = prometheus.DefaultRegisterer
	}
	m := &Metrics{reg: cfg.Registerer}
	m.connsOpen = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "parlor_connections_open", Help: "WebSocket connections open now."})
	m.connects = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "parlor_connects_total", Help: "WebSocket connections accepted."})
	m.disconnects = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parlor_disconnects_total", Help: "WebSocket connections closed, by close code (1006: no close frame; other: a code the server does not know)."},
		[]string{"code"})
	m.refused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parlor_upgrades_refused_total", Help: "WebSocket upgrade requests answered with an HTTP error, by status."},
		[]string{"status"})
	m.messagesIn = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "parlor_messages_received_total", Help: "WebSocket messages received from clients."})
	m.messagesOut = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "parlor_messages_sent_total", Help: "WebSocket messages written to clients; each carries one or more frames."})
	m.bytesIn = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "parlor_received_bytes_total", Help: "Bytes of the WebSocket messages received, after decompression."})
	m.bytesOut = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "parlor_sent_bytes_total", Help: "Bytes of the WebSocket messages written, before compression."})
	framesIn := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parlor_frames_received_total", Help: "Protocol frames received from clients, by frame type."},
		[]string{"type"})
	framesOut := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parlor_frames_sent_total", Help: "Protocol frames written to clients, by frame type."},
		[]string{"type"})
	m.batchFrames = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "parlor_sent_message_frames", Help: "Frames per WebSocket message written: the write batching ratio.",
		Buckets: framesBuckets})
	m.outbox = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "parlor_outbox_queued_bytes", Help: "Bytes queued in a connection's outbox when a message is taken from it for writing, that message included.",
		Buckets: outboxBuckets})
	m.slow = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "parlor_slow_consumer_closes_total", Help: "Connections closed with 4008 because their outbox overflowed."})
	m.rateLimited = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "parlor_rate_limited_frames_total", Help: "Client frames, pings and pongs dropped by the per-connection rate limit."})
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "parlor_request_duration_seconds", Help: "Time from reading a join, leave or send request to queueing its answer, by module kind and request type.",
		Buckets: latencyBuckets}, []string{"kind", "type"})
	m.requestErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parlor_request_errors_total", Help: "Join, leave and send requests answered with an error, by module kind and request type."},
		[]string{"kind", "type"})
	m.mailbox = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "parlor_room_mailbox_depth", Help: "Operations waiting in a room's mailbox just after a send was queued, by module kind.",
		Buckets: mailboxBuckets}, []string{"kind"})
	m.roomsOpen = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "parlor_rooms_open", Help: "Rooms running now, by module kind."}, []string{"kind"})
	m.roomsCreated = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parlor_rooms_created_total", Help: "Rooms created, by module kind."}, []string{"kind"})
	m.resumes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parlor_resumes_total", Help: "Joins that resumed a room from an epoch and seq, by module kind and outcome (recovered, not_recovered, refused)."},
		[]string{"kind", "outcome"})
	m.chatAppend = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "parlor_chat_store_append_duration_seconds", Help: "Time the chat store takes to append an entry, commit included.",
		Buckets: latencyBuckets})
	m.chatAppendErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "parlor_chat_store_append_errors_total", Help: "Chat store appends that failed (sequence conflicts included)."})
	m.moves = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parlor_game_moves_total", Help: "Moves applied, by game module kind."}, []string{"kind"})
	m.finished = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parlor_games_finished_total", Help: "Matches that started and ended, by game module kind, result (win, draw) and reason."},
		[]string{"kind", "result", "reason"})

	for _, c := range []prometheus.Collector{
		m.connsOpen, m.connects, m.disconnects, m.refused,
		m.messagesIn, m.messagesOut, m.bytesIn, m.bytesOut, framesIn, framesOut,
		m.batchFrames, m.outbox, m.slow, m.rateLimited,
		m.requests, m.requestErrors, m.mailbox, m.roomsOpen, m.roomsCreated, m.resumes,
		m.chatAppend, m.chatAppendErrors, m.moves, m.finished,
	} {
		if err := m.reg.Register(c); err != nil {
			return nil, err
		}
	}
	// The series the hot paths touch are looked up once, here.
	for t := range numTypes {
		name := codec.Type(t).String()
		m.framesIn[t] = framesIn.WithLabelValues(name)
		m.framesOut[t] = framesOut.WithLabelValues(name)
	}
	m.disconnectsBy = make(map[uint16]prometheus.Counter, len(knownCloseCodes))
	for _, code := range knownCloseCodes {
		m.disconnectsBy[code] = m.disconnects.WithLabelValues(strconv.Itoa(int(code)))
	}
	m.disconnectsAny = m.disconnects.WithLabelValues("other")
	return m, nil
}

// kindLabel is the label of a module kind: "none" for a request that named
// no registered module or room.
func kindLabel(kind string) string {
	if kind == "" {
		return "none"
	}
	return kind
}
