package main

import (
	"bufio"
	"errors"
	"os"
	"strconv"
	"sync"
)

// ackLog keeps every ack of the measured time for -ack-log: when the
// message was due (or sent) and how long its ack took, so that a tail can
// be laid over an execution trace of the same run.
type ackLog struct {
	mu   sync.Mutex
	rows [][2]int64 // Unix nanoseconds due, nanoseconds to the ack
}

// add logs one ack; a nil log does nothing.
func (l *ackLog) add(due, latency int64) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.rows = append(l.rows, [2]int64{due, latency})
	l.mu.Unlock()
}

// write writes the log to path, one ack a line: the due time in Unix
// nanoseconds and the latency in nanoseconds, separated by a space.
func (l *ackLog) write(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	var b []byte
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.rows {
		b = strconv.AppendInt(b[:0], r[0], 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, r[1], 10)
		b = append(b, '\n')
		_, _ = w.Write(b)
	}
	return errors.Join(w.Flush(), f.Close())
}
