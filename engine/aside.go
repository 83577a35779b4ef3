package engine

import "github.com/lxzan/gws"

// maxAsideIdle bounds the aside workers kept waiting for work. Each holds
// a stack that a connect or a join grew (4 – 8 KiB); more than this at
// once start fresh goroutines, which end after their message.
const maxAsideIdle = 16

// asideWorker runs connects and joins for readers (handleAside), one at a
// time. A goroutine started per message would leave its grown stack and
// its channel as garbage at every connect and join; a worker keeps both
// for the next one.
type asideWorker struct {
	jobs chan asideJob
	done chan any // the job's panic, or nil
}

// asideJob is one message for an aside worker.
type asideJob struct {
	s *session
	m *gws.Message
}

// asideWorkers keeps the idle workers of an engine.
type asideWorkers struct {
	idle chan *asideWorker
}

// handleAside handles m on a goroutine other than the reader's while the
// reader waits for it, so that the reader's stack stays at its starting
// size. The runtime never shrinks a parked goroutine's stack below 4 KiB
// once it has grown: the space in use at the park (the read call chain,
// about 1 KiB) plus the runtime's margin exceeds the quarter of 4 KiB
// that shrinking to 2 KiB requires. The deep paths of a connect or a join
// (decoding, module hooks, room creation) would grow it, and an idle
// connection would keep the 2 KiB more for its life. A send, the hot
// path, runs inline; a connection that sends grows its reader's stack,
// but it is not idle. An idle worker takes m; with none idle (all are
// busy, for instance with joins waiting on slow rooms) a new one starts.
// A panic is passed back to the reader, where gws's Recovery handles it
// as before.
func (s *session) handleAside(m *gws.Message) {
	e := s.e
	var w *asideWorker
	select {
	case w = <-e.aside.idle:
	default:
		w = &asideWorker{jobs: make(chan asideJob), done: make(chan any, 1)}
		// The reader's own count keeps the wait group above zero here.
		e.wg.Add(1)
		go w.run(e)
	}
	select {
	case w.jobs <- asideJob{s: s, m: m}:
	case <-e.ctx.Done():
		// The engine is shutting down and an idle worker may have ended:
		// the message is handled where the reader is.
		s.onMessage(m)
		return
	}
	v := <-w.done
	select {
	case e.aside.idle <- w:
	default:
		close(w.jobs) // enough are idle: this one ends
	}
	if v != nil {
		panic(v)
	}
}

// run handles jobs until its channel is closed or the engine stops.
func (w *asideWorker) run(e *Engine) {
	defer e.wg.Done()
	for {
		select {
		case j, ok := <-w.jobs:
			if !ok {
				return
			}
			w.done <- w.handle(j)
		case <-e.ctx.Done():
			return
		}
	}
}

// handle runs one job and returns its panic, if any.
func (w *asideWorker) handle(j asideJob) (v any) {
	defer func() { v = recover() }()
	j.s.onMessage(j.m)
	return nil
}
