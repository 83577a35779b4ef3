package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/parlorhq/parlor/internal/loadgen"
)

// syncProbePage is the page size the sync probe writes, bbolt's on
// Linux.
const syncProbePage = 4096

// syncProbe measures what the disk under dir (empty: the temporary
// directory) makes a bbolt commit wait for, n times: a commit writes its
// data pages and syncs, then writes its meta page and syncs again. Each
// probe overwrites pages of a file of fixed size and syncs twice, and its
// time is recorded. The file is removed at the end.
func syncProbe(dir string, n int) (*loadgen.Histogram, error) {
	f, err := os.CreateTemp(dir, "parlor-chatload-sync")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	const pages = 64
	page := make([]byte, syncProbePage)
	for i := range pages {
		if _, err := f.WriteAt(page, int64(i)*syncProbePage); err != nil {
			return nil, err
		}
	}
	if err := f.Sync(); err != nil {
		return nil, err
	}
	rec := loadgen.NewRecorder(1)
	for i := range n {
		page[0] = byte(i)
		start := time.Now()
		_, err := f.WriteAt(page, int64(1+i%(pages-1))*syncProbePage)
		if err == nil {
			err = f.Sync()
		}
		if err == nil {
			_, err = f.WriteAt(page, 0) // the meta page
		}
		if err == nil {
			err = f.Sync()
		}
		if err != nil {
			return nil, err
		}
		rec.Record(0, time.Since(start))
	}
	return rec.Snapshot(), nil
}

// runSyncProbe is the -sync-probe mode: probe the directory of -db (or
// the temporary directory) and print the figures.
func runSyncProbe(cfg config, out io.Writer) error {
	dir := ""
	if cfg.db != "" {
		dir = filepath.Dir(cfg.db)
	}
	h, err := syncProbe(dir, cfg.syncProbe)
	if err != nil {
		return fmt.Errorf("sync probe: %w", err)
	}
	if h.Count() == 0 {
		return errors.New("sync probe: nothing measured")
	}
	where := dir
	if where == "" {
		where = os.TempDir()
	}
	_, err = fmt.Fprintf(out, "sync_probe dir=%s commits=%d two_syncs_p50=%s p90=%s p99=%s max=%s\n",
		where, h.Count(), pct(h, 0.50), pct(h, 0.90), pct(h, 0.99), pct(h, 1))
	return err
}
