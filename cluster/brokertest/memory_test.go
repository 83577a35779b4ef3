package brokertest_test

import (
	"testing"

	"github.com/parlorhq/parlor/cluster/brokertest"
	"github.com/parlorhq/parlor/engine"
)

func TestMemoryBroker(t *testing.T) {
	brokertest.Run(t, func(t *testing.T) engine.Broker {
		b := engine.NewMemoryBroker()
		t.Cleanup(func() { b.Close() })
		return b
	})
}
