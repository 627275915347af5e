package inmem_test

import (
	"testing"

	"github.com/seancehq/seance/brokertest"
	"github.com/seancehq/seance/hub"
	"github.com/seancehq/seance/inmem"
)

// The hubs of one process share one broker, so every node is the same one.
func TestBroker(t *testing.T) {
	brokertest.Run(t, func(t *testing.T) func() hub.Broker {
		b := inmem.NewBroker()
		return func() hub.Broker { return b }
	})
}
