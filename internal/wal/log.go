package wal

import (
	"fmt"
	"os"
	"path/filepath"
)

// Log is an open log file. Its methods are not safe for concurrent use:
// one writer owns it.
type Log struct {
	f    *os.File
	size int64 // the size in use
	old  bool  // the file was there already: it may hold records
	want int64 // with old, the size asked for, taken by Reset
}

// Open opens the log file at path, or creates it preallocated to size
// bytes of zeros. A file that was there keeps its size until Reset (its
// records are where its own size put them).
func Open(path string, size int64, mode os.FileMode) (*Log, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, mode)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	if have := st.Size(); have > 0 {
		return &Log{f: f, size: have, old: true, want: size}, nil
	}
	if err := zeroFill(f, 0, size); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("preallocate: %w", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		_ = f.Close()
		return nil, err
	}
	return &Log{f: f, size: size}, nil
}

// File returns the log's file.
func (l *Log) File() *os.File { return l.f }

// Size returns the size of the log in use.
func (l *Log) Size() int64 { return l.size }

// Reset clears a log that was there at Open, once its records are
// applied, and takes the size asked for. A smaller size cuts the file
// down to it: the next Open lays the halves out by the file's own size,
// so the file must have the size the records are written for.
func (l *Log) Reset() error {
	if !l.old {
		return nil
	}
	if err := zeroFill(l.f, 0, max(l.size, l.want)); err != nil {
		return err
	}
	if l.want < l.size {
		// All zeros by now: a crash before the new size is synced leaves
		// an empty log of either size.
		if err := l.f.Truncate(l.want); err != nil {
			return err
		}
		if err := l.f.Sync(); err != nil {
			return err
		}
	}
	l.size, l.old = l.want, false
	return nil
}

// zeroFill writes zeros to f from offset from to to and syncs it: written
// blocks, unlike a hole or fallocate's unwritten extents, need no
// metadata update when a record later overwrites them.
func zeroFill(f *os.File, from, to int64) error {
	zeros := make([]byte, 1<<20)
	for off := from; off < to; {
		n := min(int64(len(zeros)), to-off)
		if _, err := f.WriteAt(zeros[:n], off); err != nil {
			return err
		}
		off += n
	}
	return f.Sync()
}

// syncDir syncs a directory, so that a file created in it stays.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Half returns the bounds of half h (0 or 1) of the log.
func (l *Log) Half(h int) (start, end int64) {
	mid := l.size / 2
	if h == 0 {
		return 0, mid
	}
	return mid, 2 * mid
}

// Write writes b at off and syncs the file's data.
func (l *Log) Write(b []byte, off int64) error {
	if _, err := l.f.WriteAt(b, off); err != nil {
		return err
	}
	return Fdatasync(l.f)
}

// Close closes the file.
func (l *Log) Close() error { return l.f.Close() }
