package loopback

import (
	"errors"
	"testing"
)

func TestIsAddr(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want bool
	}{
		{"localhost", true},
		{"LocalHost:80", true},
		{"127.0.0.1", true},
		{"127.1.2.3:0", true},
		{"::1", true},
		{"[::1]:8080", true},
		{"[::1]", true},
		{"", false},
		{":8080", false},
		{"0.0.0.0:80", false},
		{"10.0.0.1", false},
		{"example.com:443", false},
		{"localhost.example.com", false},
		{"127.0.0.1.example.com", false},
		{"::ffff:8.8.8.8", false},
	} {
		if got := IsAddr(tc.addr); got != tc.want {
			t.Errorf("IsAddr(%q) = %v, want %v", tc.addr, got, tc.want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for _, tc := range []struct {
		url          string
		ok, notLocal bool
	}{
		{"ws://127.0.0.1:8080/ws", true, false},
		{"wss://localhost/ws?x=1", true, false},
		{"ws://[::1]:1/", true, false},
		{"ws://example.com/ws", false, true},
		{"ws://192.168.1.1:80/", false, true},
		{"ws://user@10.0.0.1/", false, true},
		{"http://127.0.0.1/ws", false, false},
		{"127.0.0.1:8080", false, false},
		{"ws://%zz/", false, false},
	} {
		err := CheckURL(tc.url)
		if (err == nil) != tc.ok || errors.Is(err, ErrNotLoopback) != tc.notLocal {
			t.Errorf("CheckURL(%q) = %v, want ok %v, ErrNotLoopback %v", tc.url, err, tc.ok, tc.notLocal)
		}
	}
}
