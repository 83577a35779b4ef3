package wal

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Record is a record read back from the log.
type Record struct {
	// Gen is the generation it was written in.
	Gen uint64
	// End is the offset after it: with Gen, the position a store records
	// once it has applied the record.
	End int64
	// Payload is the store's encoding of the write.
	Payload []byte
}

// Unapplied returns, in the order they were written, the records of the
// log after position (gen, off), the position after the last record a
// bbolt file has applied (zero if none), and the newest generation seen,
// at least gen. A writer that goes on after them starts generation
// top + 1 (after Reset, at the top of half 0).
//
// Each half holds one generation, named by its first record; a writer
// moves to the other half (with the next generation) only once the bbolt
// file has everything that half held, so the halves hold at most the two
// generations it may lack. Taken in order of generation, a half of
// generation gen is read from off, a half of a newer one from its top,
// and an older one not at all. A scan stops at the first record that is
// torn, fails its CRC or belongs to another generation: the records after
// it were never acked, since a batch is answered only once it is synced
// whole.
func (l *Log) Unapplied(gen uint64, off int64) (recs []Record, top uint64, err error) {
	type half struct {
		h   int
		gen uint64
	}
	var halves []half
	top = gen
	for h := range 2 {
		g, ok, err := l.firstGen(h)
		if err != nil {
			return nil, 0, err
		}
		if ok {
			halves = append(halves, half{h, g})
			top = max(top, g)
		}
	}
	slices.SortFunc(halves, func(a, b half) int { return cmp.Compare(a.gen, b.gen) })
	for _, hg := range halves {
		start, end := l.Half(hg.h)
		from := start
		switch {
		case hg.gen < gen:
			continue
		case hg.gen == gen:
			if off < start || off > end {
				return nil, 0, fmt.Errorf("the bbolt file has the log's generation %d up to offset %d, outside its half", gen, off)
			}
			from = off
		}
		if recs, err = l.scan(recs, hg.gen, from, end); err != nil {
			return nil, 0, err
		}
	}
	return recs, top, nil
}

// scan appends to recs generation gen's records from off on, up to the
// first that is torn, fails its CRC, is of another generation or crosses
// limit.
func (l *Log) scan(recs []Record, gen uint64, off, limit int64) ([]Record, error) {
	for {
		g, p, next, err := ReadRecord(l.f, off, limit)
		if errors.Is(err, ErrEndOfLog) || err == nil && g != gen {
			return recs, nil
		}
		if err != nil {
			return nil, err
		}
		recs = append(recs, Record{Gen: gen, End: next, Payload: p})
		off = next
	}
}

// firstGen returns the generation of the first record of half h, and
// false if there is no intact one.
func (l *Log) firstGen(h int) (uint64, bool, error) {
	start, end := l.Half(h)
	g, _, _, err := ReadRecord(l.f, start, end)
	if errors.Is(err, ErrEndOfLog) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return g, true, nil
}

// Scan returns generation gen's records from off on, up to limit or to
// the first that is torn, fails its CRC or is of another generation: a
// writer reads back with it the records it synced but has not applied.
func (l *Log) Scan(gen uint64, off, limit int64) ([]Record, error) {
	return l.scan(nil, gen, off, limit)
}
