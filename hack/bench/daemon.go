package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/moby/buildkit/client"
)

// daemon is a buildkitd of the benchmark's own, with an empty state dir and
// the test bed's config (registry mirrors), as integration/daemon_test.go
// starts one: cold builds and cache imports need a daemon that has seen
// nothing, and the warm scenarios must not share the bed daemon's caches.
type daemon struct {
	root string
	addr string
	cmd  *exec.Cmd
	log  *os.File
	c    *client.Client
}

func startDaemon(ctx context.Context, e env) (*daemon, error) {
	cfg := filepath.Join(e.run, "buildkitd.toml")
	if _, err := os.Stat(cfg); err != nil {
		return nil, fmt.Errorf("no buildkitd config of the test bed at %s: %w", cfg, err)
	}
	root, err := os.MkdirTemp(e.run, "bench-buildkitd-")
	if err != nil {
		return nil, err
	}
	d := &daemon{root: root}
	if d.log, err = os.Create(filepath.Join(root, "log")); err != nil {
		return nil, err
	}
	addr := "unix://" + filepath.Join(root, "buildkitd.sock")
	d.addr = addr
	d.cmd = exec.Command("buildkitd", "--config", cfg, "--root", filepath.Join(root, "state"), "--addr", addr, "--oci-worker-net=host")
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	if err := d.cmd.Start(); err != nil {
		d.log.Close()
		os.RemoveAll(root)
		return nil, fmt.Errorf("start buildkitd: %w", err)
	}
	if d.c, err = client.New(ctx, addr); err != nil {
		d.stop()
		return nil, err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := d.c.ListWorkers(cctx)
		cancel()
		if err == nil {
			return d, nil
		}
		if time.Now().After(deadline) {
			logs, _ := os.ReadFile(d.log.Name())
			d.stop()
			return nil, fmt.Errorf("buildkitd did not start: %v\n%s", err, logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stop ends this daemon (and only it) and removes its state.
func (d *daemon) stop() {
	if d.c != nil {
		d.c.Close()
	}
	if d.cmd != nil && d.cmd.Process != nil {
		d.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { d.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			d.cmd.Process.Kill()
			<-done
		}
	}
	d.log.Close()
	os.RemoveAll(d.root)
}
