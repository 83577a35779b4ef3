package main

import (
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
)

// ipBindAddressNoPort is Linux's IP_BIND_ADDRESS_NO_PORT socket option
// (linux/in.h), which the syscall package does not name.
const ipBindAddressNoPort = 24

// sourceDialer dials TCP from src (any address when nil). It sets
// IP_BIND_ADDRESS_NO_PORT, so that binding to src leaves the port to
// connect, which picks one free for this destination: without it, bind
// reserves a port for every destination at once and a source address
// holds only one port range's worth of connections in all.
func sourceDialer(src *net.TCPAddr) *net.Dialer {
	d := &net.Dialer{}
	if src == nil {
		return d
	}
	d.LocalAddr = src
	d.Control = func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, ipBindAddressNoPort, 1)
		})
		if err != nil {
			return err
		}
		return serr
	}
	return d
}

// raiseFileLimit raises this process's RLIMIT_NOFILE so that it can hold
// need open files: the soft limit up to the hard limit, and the hard
// limit too if the process may (root with CAP_SYS_RESOURCE, up to
// fs.nr_open). Children started afterwards inherit the limit. It returns
// the soft limit it leaves, and an error naming the limits when that is
// below need.
func raiseFileLimit(need int) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	want := uint64(need)
	if lim.Cur >= want {
		return lim.Cur, nil
	}
	if lim.Max < want && syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: want, Max: want}) == nil {
		return want, nil
	}
	lim.Cur = min(want, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur < want {
		return lim.Cur, fmt.Errorf("%d connections need about %d open files, and the hard limit (ulimit -Hn) is %d and cannot be raised "+
			"by this process (fs.nr_open is %s): raise it as root, or connect fewer", need-fileMargin, need, lim.Max, sysctl("fs/nr_open"))
	}
	return lim.Cur, nil
}

// sysctl reads /proc/sys/<name>, or "unknown".
func sysctl(name string) string {
	b, err := os.ReadFile("/proc/sys/" + name)
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}
