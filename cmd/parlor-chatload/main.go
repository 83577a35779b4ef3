// Command parlor-chatload measures how many chat messages per second one
// process persists and delivers, and the price of durability: the same
// load with the bbolt store and with the in-memory store.
//
// # What it does
//
// It starts an engine with the chat modules on 127.0.0.1 in this process,
// with rate limits off, and a store: -store bolt (a bbolt file, -db, by
// default a new file in the temporary directory that is removed at the
// end) or -store memory. It connects -rooms × -size clients, one user
// each, and puts them in -rooms conversations of -size members: direct
// conversations when -size is 2, groups otherwise. Then -senders members
// of every room send messages of -text bytes, each waiting for its ack
// before sending the next (-inflight requests in flight per sender), for
// -warmup and then -duration. Only the -duration window is measured.
//
// Every member counts the message events it receives. The sender puts its
// clock at the start of the text, so each receiver measures the latency
// from send to delivery; the ack latency is measured from send to reply,
// and a reply means the message is durable in the store.
//
// # Stalled clients
//
// -stalled F makes that fraction of the clients (rounded, at least one
// when F > 0) stall: they join their conversation like the others, and
// once every client has joined they stop reading. Their event buffer (16
// events) fills, their read loop blocks, and their TCP connections stay
// open with nothing read from them, so the server queues what it sends
// them until its outbox bound closes them (4008). They never send and
// never reconnect. They are the last member of evenly spaced
// conversations (one per conversation while there are enough). The
// figures of the others are reported as usual, and again for the members
// of conversations that have a stalled member (the "neighbours");
// stalled_closed says how many sessions the server had closed by the end
// of the measured time (all of them stalled ones, when no send failed).
//
// # Output
//
// One line of key=value pairs: the setup, persisted (acked) messages/s,
// delivered messages/s (events received by members other than the
// sender), ack and delivery latency p50 and p99, for bbolt the commits
// per second and writes per commit (how many messages share its syncs),
// and on Linux the CPU cores this process used and the cores other
// processes used meanwhile (a run with other load is not comparable). It
// exits with status 1 if a delivery is missing.
//
// # Examples
//
//	go run ./cmd/parlor-chatload -store bolt -rooms 1000 -size 2 -duration 10s
//	go run ./cmd/parlor-chatload -store memory -rooms 50 -size 20 -duration 10s
//	go run ./cmd/parlor-chatload -store bolt -rooms 1000 -size 2 -stalled 0.01
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/parlorhq/parlor/internal/loopback"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/boltstore"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
)

// config holds the command-line flags.
type config struct {
	store      string
	db         string
	rooms      int
	size       int
	senders    int
	inflight   int
	text       int
	duration   time.Duration
	warmup     time.Duration
	batchDelay time.Duration
	dialConc   int
	cpuProfile string
	stalled    float64
}

func main() {
	var cfg config
	flag.StringVar(&cfg.store, "store", "bolt", "store: bolt or memory")
	flag.StringVar(&cfg.db, "db", "", "bbolt file (default: a new file in the temporary directory, removed at the end)")
	flag.IntVar(&cfg.rooms, "rooms", 1000, "number of conversations")
	flag.IntVar(&cfg.size, "size", 2, "members per conversation (2: direct conversations; more: groups)")
	flag.IntVar(&cfg.senders, "senders", 0, "senders per conversation (0: every member)")
	flag.IntVar(&cfg.inflight, "inflight", 1, "requests in flight per sender")
	flag.IntVar(&cfg.text, "text", 100, "message text size in bytes")
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "measured time")
	flag.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "load before the measured time")
	flag.DurationVar(&cfg.batchDelay, "batch-delay", 0, "bbolt store's MaxBatchDelay (0: its default; negative: never wait)")
	flag.IntVar(&cfg.dialConc, "dial-concurrency", 64, "clients dialing at a time")
	flag.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the measured time to this file")
	flag.Float64Var(&cfg.stalled, "stalled", 0, "fraction of the clients that join and then stop reading (0 to 0.5)")
	flag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "parlor-chatload:", err)
		os.Exit(1)
	}
}

// member is one client in one conversation.
type member struct {
	user string
	c    *client.Client
	room string
	// stalled: the member stops reading once everyone has joined.
	stalled bool
	// neighbour: another member of the conversation is stalled.
	neighbour bool
	stall     chan struct{} // closed to make a stalled member stop reading

	received atomic.Int64 // message events from others, in the window
	acked    atomic.Int64 // own messages acked, in the window
	mu       sync.Mutex
	delivery []time.Duration // delivery latencies, in the window
	acks     []time.Duration // ack latencies, in the window
}

// window tells when the measured time starts and ends (Unix nanos).
type window struct {
	start, end atomic.Int64
}

func (w *window) in(t int64) bool {
	s, e := w.start.Load(), w.end.Load()
	return s != 0 && t >= s && (e == 0 || t < e)
}

func run(cfg config) error {
	if cfg.size < 2 || cfg.rooms < 1 || cfg.text < 24 || cfg.inflight < 1 {
		return errors.New("need -size >= 2, -rooms >= 1, -text >= 24, -inflight >= 1")
	}
	if cfg.stalled < 0 || cfg.stalled > 0.5 {
		return errors.New("need 0 <= -stalled <= 0.5")
	}
	if cfg.senders <= 0 || cfg.senders > cfg.size {
		cfg.senders = cfg.size
	}

	var st chat.Store
	var bolt *boltstore.Store
	switch cfg.store {
	case "memory":
		st = chat.NewMemoryStore()
	case "bolt":
		path := cfg.db
		if path == "" {
			dir, err := os.MkdirTemp("", "parlor-chatload")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			path = filepath.Join(dir, "chat.db")
		}
		var err error
		if bolt, err = boltstore.Open(path, boltstore.Options{MaxBatchDelay: cfg.batchDelay}); err != nil {
			return err
		}
		st = bolt
	default:
		return fmt.Errorf("unknown -store %q", cfg.store)
	}
	defer st.Close()

	eng, err := engine.New(engine.Config{
		Authenticate: loopback.AuthenticateQuery,
		Secret:       []byte("parlor-chatload secret"),
		RateLimit:    -1,
		JoinTimeout:  time.Minute,
	})
	if err != nil {
		return err
	}
	ch := chat.New(chat.Config{Store: st, MessageRate: -1, HistoryOnJoin: -1})
	if err := ch.Register(eng); err != nil {
		return err
	}
	bound, stopServer, err := loopback.Serve("127.0.0.1:0", eng, eng)
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = stopServer(ctx)
	}()
	base := "ws://" + bound + "/?user="

	rooms, err := connect(cfg, base)
	if err != nil {
		return err
	}
	defer func() {
		for _, room := range rooms {
			for _, m := range room {
				_ = m.c.Close()
			}
		}
	}()
	// Stalled members read while everyone joins (join traffic must not
	// block their own joins), then stop.
	var drains sync.WaitGroup
	for _, room := range rooms {
		for _, m := range room {
			if m.stalled {
				m.stall = make(chan struct{})
				drains.Add(1)
				go func() {
					defer drains.Done()
					for {
						select {
						case <-m.stall:
							return
						case _, ok := <-m.c.Events():
							if !ok {
								return
							}
						}
					}
				}()
			}
		}
	}
	err = joinAll(cfg, rooms)
	for _, room := range rooms {
		for _, m := range room {
			if m.stall != nil {
				close(m.stall)
			}
		}
	}
	drains.Wait()
	if err != nil {
		return err
	}

	var win window
	var readers sync.WaitGroup
	nStalled := 0
	for _, room := range rooms {
		for _, m := range room {
			if m.stalled {
				nStalled++
				// Everyone has joined: it reads no more from now on.
				continue
			}
			readers.Add(1)
			go func() {
				defer readers.Done()
				m.read(&win)
			}()
		}
	}

	var acked atomic.Int64
	var sendErrs atomic.Int64
	stop := make(chan struct{})
	var senders sync.WaitGroup
	padding := strings.Repeat("x", cfg.text-20)
	nSenders := 0
	for _, room := range rooms {
		for _, m := range room[:cfg.senders] {
			if m.stalled {
				continue
			}
			nSenders++
			for range cfg.inflight {
				senders.Add(1)
				go func() {
					defer senders.Done()
					var mine []time.Duration
					var n int64
					for {
						select {
						case <-stop:
							m.mu.Lock()
							m.acks = append(m.acks, mine...)
							m.mu.Unlock()
							m.acked.Add(n)
							acked.Add(n)
							return
						default:
						}
						t0 := time.Now().UnixNano()
						text := fmt.Sprintf("%019d|", t0) + padding
						ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
						_, err := m.c.Send(ctx, m.room, chat.OpSend, chat.SendRequest{Text: text})
						cancel()
						if err != nil {
							sendErrs.Add(1)
							continue
						}
						if win.in(t0) {
							n++
							mine = append(mine, time.Duration(time.Now().UnixNano()-t0))
						}
					}
				}()
			}
		}
	}
	time.Sleep(cfg.warmup)
	cpu0 := sampleCPU()
	win.start.Store(time.Now().UnixNano())
	var commits0 boltstore.Stats
	if bolt != nil {
		commits0 = bolt.Stats()
	}
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	time.Sleep(cfg.duration)
	if cfg.cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	win.end.Store(time.Now().UnixNano())
	cpu1 := sampleCPU()
	var commits1 boltstore.Stats
	if bolt != nil {
		commits1 = bolt.Stats()
	}
	close(stop)
	senders.Wait()
	// A stalled client cannot notice that the server closed it (it reads
	// nothing, not even the end of its connection): count the sessions
	// the server no longer has.
	stalledClosed := cfg.rooms*cfg.size - eng.Stats().Sessions

	// Every message acked in the window must reach the other members that
	// read.
	var want int64
	for _, room := range rooms {
		readers := int64(0)
		for _, m := range room {
			if !m.stalled {
				readers++
			}
		}
		for _, m := range room {
			want += m.acked.Load() * (readers - 1)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	var got int64
	for {
		got = 0
		for _, room := range rooms {
			for _, m := range room {
				got += m.received.Load()
			}
		}
		if got >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}

	var delivery, acks, nDelivery, nAcks []time.Duration
	for _, room := range rooms {
		for _, m := range room {
			m.mu.Lock()
			delivery = append(delivery, m.delivery...)
			acks = append(acks, m.acks...)
			if m.neighbour {
				nDelivery = append(nDelivery, m.delivery...)
				nAcks = append(nAcks, m.acks...)
			}
			m.mu.Unlock()
		}
	}
	secs := cfg.duration.Seconds()
	line := []string{
		"store=" + cfg.store,
		fmt.Sprintf("rooms=%d size=%d senders=%d clients=%d inflight=%d text=%dB", cfg.rooms, cfg.size, nSenders, cfg.rooms*cfg.size, cfg.inflight, cfg.text),
		fmt.Sprintf("duration=%s gomaxprocs=%d", cfg.duration, runtime.GOMAXPROCS(0)),
		fmt.Sprintf("persisted=%d persisted/s=%.0f", acked.Load(), float64(acked.Load())/secs),
		fmt.Sprintf("delivered=%d delivered/s=%.0f", got, float64(got)/secs),
		"ack_p50=" + pct(acks, 0.50), "ack_p99=" + pct(acks, 0.99),
		"delivery_p50=" + pct(delivery, 0.50), "delivery_p99=" + pct(delivery, 0.99),
	}
	if nStalled > 0 {
		line = append(line,
			fmt.Sprintf("stalled=%d stalled_closed=%d", nStalled, stalledClosed),
			"neighbour_ack_p50="+pct(nAcks, 0.50), "neighbour_ack_p99="+pct(nAcks, 0.99),
			"neighbour_delivery_p50="+pct(nDelivery, 0.50), "neighbour_delivery_p99="+pct(nDelivery, 0.99))
	}
	if bolt != nil {
		d := commits1.Commits - commits0.Commits
		w := commits1.Writes - commits0.Writes
		line = append(line, fmt.Sprintf("commits/s=%.0f writes/commit=%.1f", float64(d)/secs, float64(w)/float64(max(d, 1))))
	}
	if cpu0.ok && cpu1.ok {
		own := (cpu1.self - cpu0.self).Seconds() / secs
		all := (cpu1.busy - cpu0.busy).Seconds() / secs
		line = append(line, fmt.Sprintf("cpu_cores=%.2f other_cores=%.2f", own, max(0, all-own)))
	}
	if n := sendErrs.Load(); n > 0 {
		line = append(line, fmt.Sprintf("send_errors=%d", n))
	}
	fmt.Println(strings.Join(line, " "))

	if got < want {
		return fmt.Errorf("%d deliveries missing", want-got)
	}
	return nil
}

// connect dials every member of every room.
func connect(cfg config, base string) ([][]*member, error) {
	rooms := make([][]*member, cfg.rooms)
	for i := range rooms {
		rooms[i] = make([]*member, cfg.size)
		for j := range rooms[i] {
			rooms[i][j] = &member{user: fmt.Sprintf("r%dm%d", i, j)}
		}
	}
	markStalled(cfg, rooms)
	sem := make(chan struct{}, cfg.dialConc)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for _, room := range rooms {
		for _, m := range room {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				opts := client.Options{EventBuffer: 4096, RequestTimeout: time.Minute}
				if m.stalled {
					opts.EventBuffer = stalledBuffer
					opts.Reconnect.Disabled = true
				}
				c, err := client.Dial(ctx, base+m.user, opts)
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				m.c = c
			}()
		}
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return rooms, fmt.Errorf("dial: %w", err)
	}
	return rooms, nil
}

// stalledBuffer is the event buffer of a stalled client.
const stalledBuffer = 16

// markStalled picks the stalled members: round(clients × -stalled) of
// them, at least one if -stalled > 0, the last member of evenly spaced
// rooms (and the one before it once every room has one, and so on).
func markStalled(cfg config, rooms [][]*member) {
	total := cfg.rooms * cfg.size
	k := int(float64(total)*cfg.stalled + 0.5)
	if cfg.stalled > 0 && k == 0 {
		k = 1
	}
	for i := range k {
		r := rooms[(i%cfg.rooms)*cfg.rooms/min(k, cfg.rooms)%cfg.rooms]
		m := r[cfg.size-1-i/cfg.rooms]
		m.stalled = true
		for _, o := range r {
			o.neighbour = true
		}
	}
}

// joinAll puts each room's members in their conversation.
func joinAll(cfg config, rooms [][]*member) error {
	sem := make(chan struct{}, cfg.dialConc)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for _, room := range rooms {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := joinRoom(room); err != nil {
				firstErr.CompareAndSwap(nil, err)
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return fmt.Errorf("join: %w", err)
	}
	return nil
}

func joinRoom(room []*member) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if len(room) == 2 {
		for i, m := range room {
			j, err := m.c.Join(ctx, chat.KindDM, chat.DMParams{With: room[1-i].user})
			if err != nil {
				return err
			}
			m.room = j.Room
		}
		return nil
	}
	var others []string
	for _, m := range room[1:] {
		others = append(others, m.user)
	}
	j, err := room[0].c.Join(ctx, chat.KindGroup, chat.GroupParams{Create: &chat.CreateGroup{Name: "load", Members: others}})
	if err != nil {
		return err
	}
	room[0].room = j.Room
	for _, m := range room[1:] {
		if _, err := m.c.Join(ctx, chat.KindGroup, chat.GroupParams{ID: j.Room}); err != nil {
			return err
		}
		m.room = j.Room
	}
	return nil
}

// read counts the messages from others and their latency.
func (m *member) read(win *window) {
	for ev := range m.c.Events() {
		if ev.Name != chat.KindMessage {
			continue
		}
		now := time.Now().UnixNano()
		var msg chat.Message
		if err := ev.Decode(&msg); err != nil || msg.From == m.user {
			continue
		}
		sent, err := strconv.ParseInt(msg.Text[:19], 10, 64)
		if err != nil || !win.in(sent) {
			continue
		}
		m.received.Add(1)
		m.mu.Lock()
		m.delivery = append(m.delivery, time.Duration(now-sent))
		m.mu.Unlock()
	}
}

// cpuSample is this process's CPU time and the whole machine's busy CPU
// time, to tell how much of the machine other processes used during a run.
type cpuSample struct {
	self, busy time.Duration
	ok         bool
}

func sampleCPU() cpuSample {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return cpuSample{}
	}
	self := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuSample{}
	}
	// cpu  user nice system idle iowait irq softirq steal ...
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line)
	if len(fields) < 8 || fields[0] != "cpu" {
		return cpuSample{}
	}
	var busy int64
	for i, f := range fields[1:] {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return cpuSample{}
		}
		if i != 3 && i != 4 { // not idle, not iowait
			busy += v
		}
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return cpuSample{self: self, busy: time.Duration(busy) * tick, ok: true}
}

// pct returns the q-quantile of ds, rounded for display.
func pct(ds []time.Duration, q float64) string {
	if len(ds) == 0 {
		return "n/a"
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	d := ds[min(len(ds)-1, int(q*float64(len(ds))))]
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}
