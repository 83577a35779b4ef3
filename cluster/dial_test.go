package cluster

import (
	"errors"
	"net"
	"testing"
)

func TestDial(t *testing.T) {
	if _, err := Dial(DialConfig{}); !errors.Is(err, ErrNoNode) {
		t.Errorf("Dial without a node = %v, want ErrNoNode", err)
	}
	// A port nobody listens on: the first connection fails at once.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	if nc, err := Dial(DialConfig{URL: "nats://" + addr, Node: "n"}); err == nil {
		nc.Close()
		t.Error("Dial of a closed port succeeded")
	}
}
