package buildrun

import (
	"net"
	"os"
	"path/filepath"
	"testing"
)

// The daemon is BUILDKIT_HOST, else the test bed's socket when it is
// there, else buildkitd's default.
func TestDefaultAddr(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("BUILDKIT_HOST", "")
	if got := DefaultAddr(); got != "unix:///run/buildkit/buildkitd.sock" {
		t.Errorf("no bed: %s", got)
	}
	sock := filepath.Join(cache, "strata", "run", "buildkitd.sock")
	os.MkdirAll(filepath.Dir(sock), 0o755)
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := DefaultAddr(); got != "unix://"+sock {
		t.Errorf("with the bed up: %s", got)
	}
	t.Setenv("BUILDKIT_HOST", "tcp://buildkitd:1234")
	if got := DefaultAddr(); got != "tcp://buildkitd:1234" {
		t.Errorf("BUILDKIT_HOST set: %s", got)
	}
}
