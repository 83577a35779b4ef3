package engine

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"go.uber.org/zap"
)

// cutOffStub is an owner node cut off from its cluster: its Connected
// channel never closes.
type cutOffStub struct{ ownerStub }

func (cutOffStub) Connected() <-chan struct{} { return make(chan struct{}) }

// TestReadyWhileCutOff: a cluster node cut off from its cluster (NATS or
// the lease bucket unreachable) refuses sends to rooms of other nodes and
// cannot take rooms, so it is not ready, though its broker may be; a
// connected one is.
func TestReadyWhileCutOff(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Cluster
		want error
	}{
		{"connected", ownerStub{}, nil},
		{"cut off", cutOffStub{}, ErrCutOff},
	} {
		e, err := New(Config{Authenticate: func(*http.Request) (string, error) { return "", nil }, Logger: zap.NewNop()})
		if err != nil {
			t.Fatal(err)
		}
		e.startCluster(tc.c)
		if err := e.Ready(context.Background()); !errors.Is(err, tc.want) {
			t.Errorf("%s: Ready() = %v, want %v", tc.name, err, tc.want)
		}
		_ = e.Shutdown(context.Background())
	}
}
