package engine

import (
	"sync/atomic"

	"github.com/lxzan/gws"
)

// maxAsideIdle bounds the aside workers kept waiting for work. Each holds
// a stack that a connect or a join grew (4 – 8 KiB); more than this at
// once start fresh goroutines, which end after their message.
const maxAsideIdle = 16

// asideWorker runs connects and joins for readers (handleAside), one at a
// time. A goroutine started per message would leave its grown stack and
// its channel as garbage at every connect and join; a worker keeps both
// for the next one.
type asideWorker struct {
	start chan struct{} // one slot: a reader's hand-off never waits
	done  chan struct{}
	// The job, set by the reader before start, and its panic, set by
	// the worker before done.
	s        *session
	m        *gws.Message
	panicked any
}

// asideWorkers keeps the idle workers of an engine. The zero value keeps
// none: every message gets a worker that ends after it.
type asideWorkers struct {
	idle    chan *asideWorker
	stopped atomic.Bool
}

// handleAside handles m on a goroutine other than the reader's while the
// reader waits for it, so that the reader's stack stays at its starting
// size. The runtime never shrinks a parked goroutine's stack below 4 KiB
// once it has grown: the space in use at the park (the read call chain,
// about 1 KiB) plus the runtime's margin exceeds the quarter of 4 KiB
// that shrinking to 2 KiB requires. The deep paths of a connect or a join
// (decoding, module hooks, room creation) would grow it, and an idle
// connection would keep the 2 KiB more for its life. So this function
// stays small and waits on one channel: a select here would take the
// reader past its 2 KiB. A send, the hot path, runs inline; a connection
// that sends grows its reader's stack, but it is not idle. An idle worker
// takes m; with none idle (all are busy, for instance with joins waiting
// on slow rooms) a new one starts. A panic is passed back to the reader,
// where gws's Recovery handles it as before.
func (s *session) handleAside(m *gws.Message) {
	w := s.e.aside.get(s.e)
	w.s, w.m = s, m
	w.start <- struct{}{}
	<-w.done
	if v := s.e.aside.put(w); v != nil {
		panic(v)
	}
}

// get returns an idle worker, or starts one.
func (a *asideWorkers) get(e *Engine) *asideWorker {
	select {
	case w := <-a.idle:
		return w
	default:
	}
	w := &asideWorker{start: make(chan struct{}, 1), done: make(chan struct{}, 1)}
	// The calling reader's own count keeps the wait group above zero.
	e.wg.Add(1)
	go w.run(e)
	return w
}

// put keeps w, done with its job, for the next message, or ends it when
// enough are idle or the engine has stopped. It returns the job's panic.
func (a *asideWorkers) put(w *asideWorker) (panicked any) {
	panicked = w.panicked
	w.s, w.m, w.panicked = nil, nil, nil
	select {
	case a.idle <- w:
	default:
		close(w.start)
		return panicked
	}
	// stop sets stopped before it drains: either it drains w, or w was
	// kept after its drain and this sees stopped.
	if a.stopped.Load() {
		a.drain()
	}
	return panicked
}

// stop ends the idle workers, and any kept from now on.
func (a *asideWorkers) stop() {
	a.stopped.Store(true)
	a.drain()
}

// drain ends the idle workers.
func (a *asideWorkers) drain() {
	for {
		select {
		case w := <-a.idle:
			close(w.start)
		default:
			return
		}
	}
}

// run handles jobs until start is closed.
func (w *asideWorker) run(e *Engine) {
	defer e.wg.Done()
	for range w.start {
		w.handle()
		w.done <- struct{}{}
	}
}

// handle runs the job, recording its panic.
func (w *asideWorker) handle() {
	defer func() { w.panicked = recover() }()
	w.s.onMessage(w.m)
}
