package loopback

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ErrNotLoopback is wrapped by CheckURL's error when the URL's host is not
// on this machine. A command that can test a remote server on request
// tells this case apart with errors.Is.
var ErrNotLoopback = errors.New("loopback: only localhost, 127.0.0.0/8 and ::1 are allowed: " +
	"a load generator aimed at a server you do not run is a denial-of-service tool")

// IsHost reports whether host is "localhost" (in any case) or a loopback
// IP address (127.0.0.0/8, ::1), with or without IPv6 brackets.
func IsHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// IsAddr reports whether the host of addr, "host:port" or a bare host, is
// a loopback host (IsHost).
func IsAddr(addr string) bool {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return IsHost(h)
	}
	return IsHost(addr)
}

// CheckURL checks that raw is a ws:// or wss:// URL of a loopback host.
// For any other host its error wraps ErrNotLoopback.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return fmt.Errorf("scheme %q: want ws or wss", u.Scheme)
	}
	if !IsHost(u.Hostname()) {
		return fmt.Errorf("%q is not a loopback address: %w", u.Hostname(), ErrNotLoopback)
	}
	return nil
}
