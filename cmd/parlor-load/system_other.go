//go:build !linux

package main

import "net"

// sourceDialer dials TCP from src (any address when nil).
func sourceDialer(src *net.TCPAddr) *net.Dialer {
	if src == nil {
		return &net.Dialer{}
	}
	return &net.Dialer{LocalAddr: src}
}

// raiseFileLimit leaves the file limit as it is outside Linux; the
// connections fail to dial if it is too low.
func raiseFileLimit(int) (uint64, error) { return 0, nil }
