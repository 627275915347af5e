package loadgen

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// readRSS is the server's resident set size in bytes, from Linux's
// /proc/PID/status. It only works when the server runs on the same machine,
// which is the point: memory per connection is measured next to the server.
func readRSS(pid int) (int64, error) {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("loadgen: reading the server's memory: %w", err)
	}
	rss, err := parseVmRSS(string(status))
	if err != nil {
		return 0, fmt.Errorf("loadgen: /proc/%d/status: %w", pid, err)
	}
	return rss, nil
}

// readRSSAll reads every distinct process of pids once, so that a server
// listed under two URLs is neither read nor counted twice.
func readRSSAll(pids []int) (map[int]int64, error) {
	out := make(map[int]int64, len(pids))
	for _, pid := range pids {
		if _, done := out[pid]; done {
			continue
		}
		rss, err := readRSS(pid)
		if err != nil {
			return nil, err
		}
		out[pid] = rss
	}
	return out, nil
}

func parseVmRSS(status string) (int64, error) {
	for line := range strings.SplitSeq(status, "\n") {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("unexpected VmRSS line %q", line)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("unexpected VmRSS line %q", line)
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("no VmRSS line (a kernel thread, or not Linux?)")
}
