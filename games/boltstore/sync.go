package boltstore

import (
	"os"
	"time"

	"github.com/parlorhq/parlor/internal/wal"
)

// The log's syncers: the log writer writes each batch's records to the
// log (one pwrite) and hands the batch, as a flight, to them; it goes on
// with the next batch at once. A syncer syncs the log (one fdatasync
// covers every record written before it starts) and answers the flights
// that sync covered, in log order. With one syncer (the default), a
// write that arrives during a sync is written meanwhile and synced as
// soon as that sync is answered; with more (Options.LogSyncers), its
// sync is asked for at once and the kernel starts it when the device is
// done with the one under way.
//
// A flight is answered only once a sync that started after its pwrite
// has returned, and flights are answered in order, so an acked write has
// every record before it synced too: the recovery scan, which stops at
// the first torn record, never stops before an acked one. Once writing or
// syncing the log fails, every flight not yet answered gets the error.

// flight is one batch written to the log and waiting for its sync.
type flight struct {
	seq     uint64 // its number, from 1 since Open
	reqs    []*request
	lsn     uint64    // the last op it logs
	written time.Time // when its pwrite returned; set only with an observer
	obs     Batch     // with an observer, where its time went
}

// send writes the framed records of accepted at start to the log and
// hands them to the syncers. If the write fails, the store takes no more
// writes and they are answered with the error.
func (s *Store) send(start int64, accepted []*request) {
	if len(accepted) == 0 {
		return
	}
	var t0 time.Time
	if s.opts.Observe != nil {
		t0 = time.Now()
	}
	_, err := s.log.f.WriteAt(s.buf, start)
	if err == nil {
		s.tail = start + int64(len(s.buf))
		s.halfLast[s.half] = s.lsn
	}
	s.smu.Lock()
	f := s.newFlight()
	s.wseq++
	f.seq, f.lsn = s.wseq, s.lsn
	f.reqs = append(f.reqs, accepted...)
	if s.opts.Observe != nil {
		f.written = time.Now()
		f.obs.copyFrom(&s.obs)
		f.obs.Write, f.obs.Bytes = f.written.Sub(t0), len(s.buf)
	}
	if err != nil && s.logErr == nil {
		s.logErr = err
	}
	s.flights = append(s.flights, f)
	if err != nil {
		s.mu.Lock()
		if s.failed == nil {
			s.failed = err // the checks of the writes to come see it
		}
		s.mu.Unlock()
	}
	s.smu.Unlock()
	s.scond.Signal()
}

// newFlight returns a spare flight, or a new one. Called with smu held.
func (s *Store) newFlight() *flight {
	if n := len(s.spare); n > 0 {
		f := s.spare[n-1]
		s.spare = s.spare[:n-1]
		return f
	}
	return &flight{}
}

// startSyncers opens the syncers' descriptors of the log and starts
// them.
func (s *Store) startSyncers() error {
	var files []*os.File
	for range s.opts.LogSyncers {
		f, err := s.log.OpenSyncer()
		if err != nil {
			for _, f := range files {
				_ = f.Close()
			}
			return err
		}
		files = append(files, f)
	}
	for _, f := range files {
		s.syncWG.Add(1)
		go s.runSync(f)
	}
	return nil
}

// stopSyncers waits, once the log writer has exited, for the syncers to
// answer every flight and exit.
func (s *Store) stopSyncers() {
	s.smu.Lock()
	s.writerDone = true
	s.smu.Unlock()
	s.scond.Broadcast()
	s.syncWG.Wait()
}

// runSync syncs the log whenever a flight is written and no sync under
// way covers it, and answers what its syncs cover, until the log writer
// has exited and every flight is answered.
func (s *Store) runSync(f *os.File) {
	defer s.syncWG.Done()
	defer f.Close()
	for {
		s.smu.Lock()
		for s.wseq == s.syncing && !s.writerDone {
			s.scond.Wait()
		}
		if s.wseq == s.syncing {
			s.smu.Unlock()
			s.scond.Broadcast() // the other syncer, to see it too
			return
		}
		target := s.wseq
		s.syncing = target
		s.smu.Unlock()
		t0 := time.Now()
		err := wal.Fdatasync(f)
		took := time.Since(t0)
		s.smu.Lock()
		if err != nil && s.logErr == nil {
			s.logErr = err
		}
		s.synced = max(s.synced, target)
		s.smu.Unlock()
		s.answer(t0.Add(took), took)
	}
}

// answer answers, in order, the flights a returned sync covers (all of
// them once the log has failed). That sync returned at end and took
// took.
func (s *Store) answer(end time.Time, took time.Duration) {
	s.amu.Lock()
	defer s.amu.Unlock()
	s.smu.Lock()
	n, err := 0, s.logErr
	for n < len(s.flights) && (err != nil || s.flights[n].seq <= s.synced) {
		n++
	}
	done := append(s.answering[:0], s.flights[:n]...)
	s.flights = append(s.flights[:0], s.flights[n:]...)
	s.smu.Unlock()
	if len(done) == 0 {
		return
	}
	s.mu.Lock()
	if err != nil {
		if s.failed == nil {
			s.failed = err
		}
		// Wake who waits for the applier: the store has failed.
		close(s.appliedCh)
		s.appliedCh = make(chan struct{})
	} else {
		for _, f := range done {
			for _, r := range f.reqs {
				s.toApply = append(s.toApply, r.op)
			}
		}
		// Before the answers: a read that follows an answered write
		// waits for the write to be applied.
		s.loggedLSN = done[len(done)-1].lsn
	}
	s.mu.Unlock()
	if err == nil {
		s.wakeApplier()
	}
	stamp := s.opts.ObserveAnswer != nil
	for _, f := range done {
		for _, r := range f.reqs {
			if stamp {
				r.synced = end
			}
			r.done <- err
		}
	}
	if s.opts.Observe != nil {
		now := time.Now()
		for _, f := range done {
			f.obs.Sync, f.obs.Durable, f.obs.Err = took, now.Sub(f.written), err
			s.opts.Observe(&f.obs)
		}
	}
	s.smu.Lock()
	for _, f := range done {
		clear(f.reqs)
		f.reqs = f.reqs[:0]
		s.spare = append(s.spare, f)
	}
	s.smu.Unlock()
	clear(done)
	s.answering = done[:0]
}
