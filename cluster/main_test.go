package cluster

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/seancehq/seance/internal/testbin"
)

// binPath is the seance binary the nodes run.
var binPath string

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	if binPath = os.Getenv("SEANCE_E2E_BINARY"); binPath != "" {
		return m.Run()
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		// Every test skips (or fails) on its own with the reason, before
		// it would start a node.
		return m.Run()
	}
	// Neither the binary nor its folder is called seance: the nodes must
	// not be among the processes a `pkill seance`, or a `pgrep seance` for
	// the load tool's --pid, finds on a machine running other servers.
	tmp, err := os.MkdirTemp("", "cluster-nodes-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	// The nodes are where the concurrency is: under -race they carry the
	// detector too, and a report in their output fails the test.
	if binPath, err = testbin.Build(tmp, "medium", raceBuild); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		return 1
	}
	return m.Run()
}
