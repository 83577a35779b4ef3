package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// compactReport is what compact did.
type compactReport struct {
	path, dest    string
	before, after int64 // file sizes in bytes
	buckets, keys int   // what the check compared
}

// runCompact copies f.path into a compacted temporary file beside the
// destination, checks the copy, and renames it over the destination.
func runCompact(f compactFlags, w io.Writer) error {
	dest := f.path
	if f.out != "" {
		dest = f.out
		if _, err := os.Stat(dest); err == nil {
			return fmt.Errorf("%s exists: -out must name a new file", dest)
		}
	}
	fi, err := os.Stat(f.path)
	if err != nil {
		return err
	}
	rep := compactReport{path: f.path, dest: dest, before: fi.Size()}
	tmp, want, err := copyCompacted(f, dest, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if err := check(tmp, want, f); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("the compacted copy failed its check, %s is unchanged: %w", f.path, err)
	}
	if err := replace(tmp, dest); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if fi, err = os.Stat(dest); err != nil {
		return err
	}
	rep.after = fi.Size()
	rep.buckets = len(want)
	for _, n := range want {
		rep.keys += n
	}
	printCompact(w, rep)
	return nil
}

// copyCompacted opens the source read-only, counts its keys and copies it
// into a new temporary file in dest's directory, whose name it returns.
func copyCompacted(f compactFlags, dest string, mode os.FileMode) (string, map[string]int, error) {
	src, err := openReadOnly(f.path, f.lockTimeout)
	if err != nil {
		return "", nil, err
	}
	defer src.Close()
	want, err := countKeys(src)
	if err != nil {
		return "", nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), filepath.Base(dest)+".compact-*")
	if err != nil {
		return "", nil, err
	}
	name := tmp.Name()
	if err = tmp.Close(); err == nil {
		err = copyInto(src, name, mode, f.txMaxSize)
	}
	if err != nil {
		_ = os.Remove(name)
		return "", nil, err
	}
	return name, want, nil
}

// copyInto writes every bucket and key of src into the empty file at
// path, without syncing until the end.
func copyInto(src *bolt.DB, path string, mode os.FileMode, txMaxSize int64) error {
	if err := os.Chmod(path, mode); err != nil {
		return err
	}
	dst, err := bolt.Open(path, mode, &bolt.Options{NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return err
	}
	dst.NoSync = true
	err = bolt.Compact(dst, src, txMaxSize)
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	return nil
}

// check opens the copy and runs bbolt's consistency check on it, and
// compares its key counts with the source's.
func check(path string, want map[string]int, f compactFlags) error {
	db, err := openReadOnly(path, f.lockTimeout)
	if err != nil {
		return err
	}
	defer db.Close()
	got, err := countKeys(db)
	if err != nil {
		return err
	}
	if !maps.Equal(got, want) {
		return fmt.Errorf("keys per bucket %v, want %v", got, want)
	}
	return db.View(func(tx *bolt.Tx) error {
		var first error
		for err := range tx.Check() { // drained, so the checker ends
			if first == nil {
				first = err
			}
		}
		return first
	})
}

// replace renames tmp over dest and syncs the directory, so that the
// rename itself is durable.
func replace(tmp, dest string) error {
	if err := os.Rename(tmp, dest); err != nil {
		return err
	}
	dir, err := os.Open(filepath.Dir(dest))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}
