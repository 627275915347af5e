package loadgen

import (
	"fmt"
	"syscall"
)

// raiseFileLimit lifts the soft open-files limit to the hard one: every
// client is a socket, and the usual soft limit of 1024 stops a run long
// before the server does. It fails when even the hard limit is too low,
// rather than letting thousands of dials fail with EMFILE.
func raiseFileLimit(need uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("loadgen: reading the open-files limit: %w", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return fmt.Errorf("loadgen: raising the open-files limit to %d: %w", lim.Max, err)
		}
	}
	if lim.Cur < need {
		return fmt.Errorf("loadgen: this many clients need about %d open files, but the hard limit is %d: raise it (ulimit -Hn, or LimitNOFILE) or run fewer clients",
			need, lim.Cur)
	}
	return nil
}
