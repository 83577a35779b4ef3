package powercut

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// imageSize is the size of the filesystem image: room for the stores' logs
// at their default sizes (32 MiB for chat, 4 MiB for games) and their
// bbolt files.
const imageSize = 128 << 20

// commitSeconds is ext4's journal commit interval on the test's mounts:
// longer than any run, so that the journal reaches the device only when
// an fsync or fdatasync forces it.
const commitSeconds = 600

// needLoopDevices skips the test unless it runs as root with the tools and
// the loop devices it needs; in CI (CI=true) it fails instead.
func needLoopDevices(t *testing.T) {
	t.Helper()
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	for _, tool := range []string{"losetup", "mkfs.ext4", "mount", "umount"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		missing = append(missing, "/dev/loop-control")
	}
	if len(missing) == 0 {
		if err := probe(t.TempDir()); err != nil {
			missing = append(missing, "a loop-mounted ext4 filesystem ("+err.Error()+")")
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := "the power-cut test needs root, loop devices and ext4 tools; missing: " + strings.Join(missing, ", ")
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg + " (in CI this fails)")
}

// probe formats a small ext4 image in dir, attaches it to a loop device,
// mounts it, and undoes it all: it fails where the test could not run,
// such as in a container without the right to mount.
func probe(dir string) error {
	image := filepath.Join(dir, "probe.img")
	if err := os.WriteFile(image, nil, 0o600); err != nil {
		return err
	}
	if err := os.Truncate(image, 16<<20); err != nil {
		return err
	}
	sh := func(name string, args ...string) (string, error) {
		b, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("%s: %v: %s", name, err, strings.TrimSpace(string(b)))
		}
		return strings.TrimSpace(string(b)), nil
	}
	if _, err := sh("mkfs.ext4", "-q", "-F", image); err != nil {
		return err
	}
	dev, err := sh("losetup", "--find", "--show", image)
	if err != nil {
		return err
	}
	defer func() { _, _ = sh("losetup", "-d", dev) }()
	mnt := filepath.Join(dir, "probe")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		return err
	}
	if _, err := sh("mount", "-t", "ext4", dev, mnt); err != nil {
		return err
	}
	_, err = sh("umount", mnt)
	return err
}

// disk is an ext4 filesystem in an image file, attached to a loop device
// and mounted with a long journal commit interval. Writes the filesystem
// sends to the loop device land in the image file (in the page cache of
// the filesystem that holds it), so the image file is what a disk under
// the filesystem would hold; the mounted filesystem's own dirty pages are
// not in it until something syncs them or the kernel's periodic writeback
// takes pages dirty for longer than vm.dirty_expire_centisecs.
type disk struct {
	t       *testing.T
	Image   string    // the backing file
	Dev     string    // the loop device, "" once detached
	Mnt     string    // the mount point
	Mounted time.Time // when it was mounted
}

// formatImage creates an empty ext4 image file at path.
func formatImage(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(imageSize); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// Initialize the inode tables and the journal now, so that no
	// background thread writes to the device during the test.
	run(t, "mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", path)
}

// attach attaches image to a free loop device and mounts it on a new
// folder of dir; mounting an image cut from a running filesystem replays
// its journal. The filesystem is unmounted and the device detached when
// the test ends, if detach has not done it before.
func attach(t *testing.T, image, dir string) *disk {
	t.Helper()
	mnt, err := os.MkdirTemp(dir, "mnt-")
	if err != nil {
		t.Fatal(err)
	}
	d := &disk{t: t, Image: image, Mnt: mnt}
	d.Dev = strings.TrimSpace(run(t, "losetup", "--find", "--show", image))
	t.Cleanup(d.detach)
	run(t, "mount", "-t", "ext4", "-o", fmt.Sprintf("commit=%d", commitSeconds), d.Dev, mnt)
	d.Mounted = time.Now()
	return d
}

// detach unmounts the filesystem and detaches the loop device. It is
// safe to call more than once; it reports failures without stopping the
// test, so that cleanup goes on.
func (d *disk) detach() {
	if d.Dev == "" {
		return
	}
	var err error
	for range 50 {
		if err = exec.Command("umount", d.Mnt).Run(); err == nil || !isMounted(d.Mnt) {
			err = nil
			break
		}
		time.Sleep(100 * time.Millisecond) // a child process may still hold a file
	}
	if err != nil {
		d.t.Errorf("umount %s: %v; detaching it lazily", d.Mnt, err)
		_ = exec.Command("umount", "-l", d.Mnt).Run()
	}
	if b, err := exec.Command("losetup", "-d", d.Dev).CombinedOutput(); err != nil {
		d.t.Errorf("losetup -d %s: %v: %s", d.Dev, err, b)
	}
	d.Dev = ""
}

// isMounted reports whether mnt is a mount point in /proc/self/mounts.
func isMounted(mnt string) bool {
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return true
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == mnt {
			return true
		}
	}
	return false
}

// copyImage copies the image file as it stands to to: what the device
// holds. Runs of zeros are left as holes, so that the copy is quick.
func (d *disk) copyImage(to string) {
	d.t.Helper()
	in, err := os.Open(d.Image)
	if err != nil {
		d.t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		d.t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	zero := make([]byte, len(buf))
	var off int64
	for {
		n, err := io.ReadFull(in, buf)
		if n > 0 && !bytes.Equal(buf[:n], zero[:n]) {
			if _, werr := out.WriteAt(buf[:n], off); werr != nil {
				d.t.Fatal(werr)
			}
		}
		off += int64(n)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			d.t.Fatal(err)
		}
	}
	if err := out.Truncate(off); err != nil {
		d.t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		d.t.Fatal(err)
	}
}

// syncAll writes every dirty page and the journal of the mounted
// filesystem to the device (syncfs).
func (d *disk) syncAll() {
	d.t.Helper()
	run(d.t, "sync", "-f", d.Mnt)
}

// dirtyExpire returns vm.dirty_expire_centisecs as a duration: the kernel
// writes back pages dirty for longer than that on its own.
func dirtyExpire(t *testing.T) time.Duration {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/vm/dirty_expire_centisecs")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return time.Duration(cs) * 10 * time.Millisecond
}

// writeUnsynced writes b to a new file at path and neither syncs it nor
// its folder: after a real cut, its contents are not on the device.
func writeUnsynced(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// fileContains reports whether the file at path holds b anywhere
// (len(b) at most 64 KiB).
func fileContains(t *testing.T, path string, b []byte) bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Each chunk is searched with the tail of the one before, so that a
	// match across the boundary is found.
	buf := make([]byte, len(b)+1<<20)
	keep := 0
	for {
		n, err := io.ReadFull(f, buf[keep:])
		if bytes.Contains(buf[:keep+n], b) {
			return true
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		keep = copy(buf, buf[keep+n-len(b):keep+n])
	}
}

// differingBlocks counts the 4 KiB blocks in which two files of the same
// size differ.
func differingBlocks(t *testing.T, a, b string) int {
	t.Helper()
	fa, err := os.Open(a)
	if err != nil {
		t.Fatal(err)
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	x, y := make([]byte, 4096), make([]byte, 4096)
	n := 0
	for {
		nx, errx := io.ReadFull(fa, x)
		ny, erry := io.ReadFull(fb, y)
		if !bytes.Equal(x[:nx], y[:ny]) {
			n++
		}
		if errx != nil || erry != nil {
			return n
		}
	}
}

// run runs a command and returns its standard output, failing the test if
// it fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}
