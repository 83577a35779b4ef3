//go:build !linux

package engine

import "net"

// socketFD returns -1: outside Linux the wheel does not poll sockets, and
// writers write every ping (heartbeat.go).
func socketFD(net.Conn) int32 { return -1 }

// writable reports false: see socketFD.
func writable(int32) bool { return false }
