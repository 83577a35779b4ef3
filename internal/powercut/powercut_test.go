package powercut

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gamesbolt "github.com/parlorhq/parlor/games/boltstore"
)

// load is the chat senders and the tic-tac-toe players running against
// one server.
type load struct {
	convs    []*conversation
	pairs    []*pair
	stop     chan struct{}
	wg       sync.WaitGroup
	inflight atomic.Int64 // chat sends under way
	errs     chan error
	halted   sync.Once
}

// startLoad starts every member's send loop and every pair's matches.
func startLoad(convs []*conversation, pairs []*pair, prefix string) *load {
	l := &load{convs: convs, pairs: pairs, stop: make(chan struct{}), errs: make(chan error, len(pairs))}
	for _, cv := range convs {
		for _, m := range cv.members {
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				m.sendLoop(cv.id, l.stop, &l.inflight)
			}()
		}
	}
	for _, p := range pairs {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			p.playLoop(prefix, l.stop, l.errs)
		}()
	}
	return l
}

// halt stops the loops and waits for them to return. It does its work
// once.
func (l *load) halt(t *testing.T) {
	t.Helper()
	l.halted.Do(func() { l.stopAndWait(t) })
}

func (l *load) stopAndWait(t *testing.T) {
	t.Helper()
	close(l.stop)
	done := make(chan struct{})
	go func() {
		l.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the load did not stop within 30s")
	}
	close(l.errs)
	for err := range l.errs {
		t.Error(err)
	}
}

// warm waits until the load has acked at least chats messages and moves
// moves.
func (l *load) warm(t *testing.T, chats, moves int) {
	t.Helper()
	if !waitFor(20*time.Second, func() bool { return chatAcked(l.convs) >= chats && movesAcked(l.pairs) >= moves }) {
		t.Fatalf("only %d messages and %d moves acked in 20s; want %d and %d", chatAcked(l.convs), movesAcked(l.pairs), chats, moves)
	}
}

// cutCase is one point at which the power goes out.
type cutCase struct {
	name  string
	flags []string // the server's
	// before runs the load up to the moment of the cut; data is the
	// server's data directory.
	before func(t *testing.T, l *load, data string)
	// recut cuts the power a second time as soon as the restarted server
	// listens: once it has replayed its logs into the bbolt files and
	// cleared them.
	recut bool
}

// TestPowerCut cuts the power under a real server: the fault tests'
// server (internal/faultserver) runs with its data directory on an ext4
// filesystem in an image file on a loop device, mounted with commit=600,
// so that only fsync and fdatasync (the stores' log syncs and bbolt's
// commits) put data and metadata on the device. Real clients send chat
// messages (three DMs and a group of four) and play tic-tac-toe matches
// (four pairs, one match after another), recording every ack. Then the
// server is killed with SIGKILL and the image file is copied at once:
// the copy holds what the loop device was given, what a disk would hold
// after a power cut; the filesystem's dirty pages are not in it. The copy
// is attached to another loop device and mounted (ext4 replays its
// journal), the server starts on it, and:
//
//   - every acked chat message is in its conversation exactly once, at
//     the seq of its ack, each sender's in order, under the epoch of the
//     first join; a send after the cut gets the next seq;
//   - every acked move is in its match once, in order, at the seq its
//     moved event had, under the epoch of the first join; the matches cut
//     short are resumed over the wire and played to their end, and every
//     match is stored finished (read from the games store once the
//     server has stopped).
//
// The cut comes at several points: mid-burst; right after a bbolt commit
// (the moment the chat's or the games' bbolt file changes); with logs of
// 64 KiB and 16 KiB, which wrap around many times before the cut; and
// quiet, with the load stopped and the bbolt files a minute behind the
// logs, so that everything comes back from the logs; and that again with a
// second cut as soon as the restarted server listens, once it has
// replayed its logs into the bbolt files and cleared them.
//
// The cut is checked to be real: a control file written without fsync
// just before the kill must be absent from the copy (and present in the
// image after a syncfs, which proves the check can see it), or the test
// fails with "cut not real". The kernel writes back on its own the pages
// dirty for longer than vm.dirty_expire_centisecs (30 s by default): each
// run, from mount to cut, takes a few seconds, and the test fails if it
// takes that long. The sends in flight at the cut and the blocks the copy
// lacks (against the image after syncfs) are logged.
//
// It needs root and loop devices; without them it skips, except in CI
// (CI=true), where it fails.
func TestPowerCut(t *testing.T) {
	needLoopDevices(t)
	bin := buildServer(t, t.TempDir())
	cases := []cutCase{
		{name: "midburst", before: func(t *testing.T, l *load, data string) {
			l.warm(t, 500, 100)
		}},
		{name: "afterapply", before: func(t *testing.T, l *load, data string) {
			l.warm(t, 300, 60)
			files := []string{filepath.Join(data, chatDB), filepath.Join(data, gamesDB)}
			stamp := func() (s [2]time.Time) {
				for i, f := range files {
					if st, err := os.Stat(f); err == nil {
						s[i] = st.ModTime()
					}
				}
				return s
			}
			was := stamp()
			if !waitFor(10*time.Second, func() bool { return stamp() != was }) {
				t.Fatal("no bbolt commit within 10s")
			}
		}},
		{name: "logwrap", flags: []string{"-chat-log-size", "65536", "-games-log-size", "16384"}, before: func(t *testing.T, l *load, data string) {
			// Chat's records are about 150 bytes and a half of its log 32
			// KiB; tic-tac-toe's are a few hundred and a half 8 KiB: each
			// log wraps around several times before the cut.
			l.warm(t, 2000, 300)
		}},
		{name: "logahead", flags: []string{"-chat-apply-delay", "1m", "-games-apply-delay", "1m"}, before: func(t *testing.T, l *load, data string) {
			l.warm(t, 500, 100)
			l.halt(t)
		}},
		{name: "recut", flags: []string{"-chat-apply-delay", "1m", "-games-apply-delay", "1m"}, recut: true, before: func(t *testing.T, l *load, data string) {
			l.warm(t, 500, 100)
			l.halt(t)
		}},
	}
	expire := dirtyExpire(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { cut(t, bin, tc, expire) })
	}
}

// cut runs one case of TestPowerCut.
func cut(t *testing.T, bin string, tc cutCase, expire time.Duration) {
	dir := t.TempDir()
	image := filepath.Join(dir, "disk.img")
	formatImage(t, image)
	d := attach(t, image, dir)
	data := filepath.Join(d.Mnt, "data")
	control := filepath.Join(d.Mnt, "control", "unsynced")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, bin, data, tc.flags...)
	convs := setupChat(t, srv, tc.name, 3, 4)
	pairs := setupGames(t, srv, tc.name, 4)
	l := startLoad(convs, pairs, tc.name)
	tc.before(t, l, data)

	// The cut.
	marker := make([]byte, 64<<10)
	_, _ = rand.Read(marker)
	writeUnsynced(t, control, marker)
	inflight := l.inflight.Load()
	srv.kill()
	cutImage := filepath.Join(dir, "cut.img")
	d.copyImage(cutImage)
	cutAfter := time.Since(d.Mounted)
	if cutAfter >= expire {
		t.Fatalf("cut not real: %v from mount to cut, and the kernel writes back on its own pages dirty for %v (vm.dirty_expire_centisecs)", cutAfter, expire)
	}
	l.halt(t)
	chats, moves := chatAcked(convs), movesAcked(pairs)

	// The negative control.
	d.syncAll()
	probe := marker[:256]
	if !fileContains(t, image, probe) {
		t.Fatal("the control file is not in the image even after syncfs: the check cannot see it")
	}
	if fileContains(t, cutImage, probe) {
		t.Fatal("cut not real: the control file, never synced, reached the device")
	}
	lacks := differingBlocks(t, cutImage, image)
	d.detach()

	// Back on what the device held.
	d2 := attach(t, cutImage, dir)
	if b, err := os.ReadFile(filepath.Join(d2.Mnt, "control", "unsynced")); err == nil && bytes.Contains(b, probe) {
		t.Fatal("cut not real: the control file, never synced, is there after the cut")
	}
	data = filepath.Join(d2.Mnt, "data")
	srv = startServer(t, bin, data, tc.flags...)
	if tc.recut {
		srv.kill()
		recutImage := filepath.Join(dir, "recut.img")
		d2.copyImage(recutImage)
		d2.detach()
		d3 := attach(t, recutImage, dir)
		data = filepath.Join(d3.Mnt, "data")
		srv = startServer(t, bin, data, tc.flags...)
	}
	present, absent := 0, 0
	for _, cv := range convs {
		p, a := verifyChat(t, srv, cv)
		present, absent = present+p, absent+a
	}
	matches, resumed := 0, 0
	for _, p := range pairs {
		resumed += p.finishOverWire(t, srv)
		matches += len(p.matches)
	}
	srv.terminate()

	st, err := gamesbolt.Open(filepath.Join(data, gamesDB), gamesbolt.Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatalf("open the games store: %v", err)
	}
	defer st.Close()
	for _, p := range pairs {
		for _, m := range p.matches {
			verifyStoredMatch(t, st, m)
		}
	}
	t.Logf("cut %v after mount: %d messages and %d moves acked (%d matches, %d resumed after the cut); "+
		"%d sends in flight at the cut: %d in the log after it, %d not; the cut image lacks %d blocks of the synced one",
		cutAfter.Round(time.Millisecond), chats, moves, matches, resumed, inflight, present, absent, lacks)
}
