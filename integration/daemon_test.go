//go:build integration

package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
)

// startDaemon starts a second buildkitd with an empty state dir and the test
// bed's config (registry mirrors), for tests that need a cold daemon.
func startDaemon(t testing.TB, b bed) *client.Client {
	t.Helper()
	c, _ := startDaemonAt(t, b)
	return c
}

// startDaemonAt is startDaemon that also gives the daemon's address, for
// clients other than this process (BUILDKIT_HOST).
func startDaemonAt(t testing.TB, b bed) (*client.Client, string) {
	t.Helper()
	cfg := filepath.Join(b.run, "buildkitd.toml")
	if _, err := os.Stat(cfg); err != nil {
		t.Fatalf("no buildkitd config at %s: %v", cfg, err)
	}
	// the state dir lives outside t.TempDir: buildkitd must stop before it is removed
	root, err := os.MkdirTemp(b.run, "cold-buildkitd-")
	if err != nil {
		t.Fatal(err)
	}
	addr := "unix://" + filepath.Join(root, "buildkitd.sock")
	logf, err := os.Create(filepath.Join(root, "log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("buildkitd", "--config", cfg, "--root", filepath.Join(root, "state"), "--addr", addr, "--oci-worker-net=host")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
		os.RemoveAll(root)
	})
	c, err := client.New(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := c.ListWorkers(ctx)
		cancel()
		if err == nil {
			return c, addr
		}
		if time.Now().After(deadline) {
			logs, _ := os.ReadFile(filepath.Join(root, "log"))
			t.Fatalf("cold buildkitd did not start: %v\n%s", err, logs)
		}
		time.Sleep(300 * time.Millisecond)
	}
}
