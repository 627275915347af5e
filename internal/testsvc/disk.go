package testsvc

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// SmallDisk mounts a tmpfs of the given size (e.g. "2m") on a fresh folder
// and unmounts it when tb ends: a disk a test can fill. Mounting needs
// root; elsewhere the test is skipped, or fails when services are required.
func SmallDisk(tb testing.TB, size string) string {
	tb.Helper()
	if os.Geteuid() != 0 {
		Unavailable(tb, "a tmpfs mount", errors.New("mounting one needs root"))
	}
	dir := tb.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		Unavailable(tb, "a tmpfs mount", errors.New(string(out)+err.Error()))
	}
	tb.Cleanup(func() {
		// Lazily: a connection still open must not keep the mount, nor
		// TempDir's own cleanup fail on it.
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			tb.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// FillDisk writes a file into dir until its file system is full, and
// returns the file's path: removing it frees the space again.
func FillDisk(tb testing.TB, dir string) string {
	tb.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	// Large chunks first, then smaller ones for the last pages.
	for _, size := range []int{64 << 10, 4 << 10, 512} {
		chunk := make([]byte, size)
		for {
			if _, err := f.Write(chunk); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					tb.Fatalf("fill %s: %v", dir, err)
				}
				break
			}
		}
	}
	return path
}
