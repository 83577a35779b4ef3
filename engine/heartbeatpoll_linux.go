package engine

import (
	"net"
	"syscall"
	"unsafe"
)

// The writability check of the wheel's own ping writes (heartbeat.go):
// one ppoll of the socket that does not wait. A ping is two bytes; a
// socket that polls writable takes them at once, so the wheel's write
// never waits for the peer.

// pollFd is struct pollfd of poll(2).
type pollFd struct {
	fd      int32
	events  int16
	revents int16
}

// The poll(2) events used here.
const (
	pollOut  = 0x4
	pollErr  = 0x8
	pollHup  = 0x10
	pollNval = 0x20
)

// socketFD returns c's descriptor, or -1 when c has none. It is read once,
// when the connection opens. The number may outlive the socket (a
// connection closed meanwhile, its number reused); that costs nothing
// but a wrong guess, since the ping is written through the connection,
// which knows it is closed.
func socketFD(c net.Conn) int32 {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := int32(-1)
	if err := rc.Control(func(v uintptr) { fd = int32(v) }); err != nil {
		return -1
	}
	return fd
}

// writable reports whether the socket fd has room to write now, without
// waiting. A zero timeout never blocks, so the raw call, which skips the
// scheduler's bookkeeping, is safe.
func writable(fd int32) bool {
	if fd < 0 {
		return false
	}
	p := pollFd{fd: fd, events: pollOut}
	var ts syscall.Timespec // zero: do not wait
	n, _, errno := syscall.RawSyscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&p)), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
	return errno == 0 && n == 1 && p.revents&(pollOut|pollErr|pollHup|pollNval) == pollOut
}
