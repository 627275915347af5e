package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		return 1
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
	binPath = filepath.Join(tmp, "medium")
	args := []string{"build", "-o", binPath}
	if raceBuild {
		// The nodes are where the concurrency is: under -race they carry
		// the detector too, and a report in their output fails the test.
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "./cmd/seance")...)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "cluster: go %s: %v\n%s", strings.Join(args, " "), err, out)
		return 1
	}
	return m.Run()
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the seance module")
	}
	return filepath.Dir(gomod), nil
}
