//go:build integration

package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// container is an image started under runc with the host network, the way
// the test bed runs what it builds (there is no Docker engine here).
type container struct {
	id  string
	out *bytes.Buffer
}

// runImage starts the image's entrypoint under runc as the image's user,
// with extra environment, and returns once the process runs.
func runImage(t testing.TB, img ociImage, env ...string) *container {
	t.Helper()
	bundle := bundleFor(t, img, env...)
	c := &container{id: fmt.Sprintf("strata-it-%d", time.Now().UnixNano()), out: &bytes.Buffer{}}
	cmd := exec.Command("runc", "run", "--bundle", bundle, c.id)
	cmd.Stdout, cmd.Stderr = c.out, c.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		exec.Command("runc", "kill", c.id, "KILL").Run()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
		exec.Command("runc", "delete", "--force", c.id).Run()
	})
	return c
}

// runToExit runs the image's entrypoint to completion and returns its output.
func runToExit(t testing.TB, img ociImage) string {
	t.Helper()
	bundle := bundleFor(t, img)
	id := fmt.Sprintf("strata-it-%d", time.Now().UnixNano())
	defer exec.Command("runc", "delete", "--force", id).Run()
	out, err := exec.Command("runc", "run", "--bundle", bundle, id).CombinedOutput()
	if err != nil {
		t.Fatalf("runc run: %v\n%s", err, out)
	}
	return string(out)
}

// bundleFor unpacks the image into an OCI runtime bundle whose process is
// the image's entrypoint, user, env and workdir.
func bundleFor(t testing.TB, img ociImage, env ...string) string {
	t.Helper()
	bundle := t.TempDir()
	rootfs := filepath.Join(bundle, "rootfs")
	img.unpack(t, rootfs)
	if out, err := exec.Command("runc", "spec", "--bundle", bundle).CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v\n%s", err, out)
	}
	specPath := filepath.Join(bundle, "config.json")
	var spec map[string]any
	dt, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	mustJSON(t, dt, &spec)

	cfg := img.Config.Config
	proc := spec["process"].(map[string]any)
	proc["terminal"] = false
	proc["args"] = append(append([]string{}, cfg.Entrypoint...), cfg.Cmd...)
	proc["env"] = append(append([]string{}, cfg.Env...), env...)
	if cfg.WorkingDir != "" {
		proc["cwd"] = cfg.WorkingDir
	}
	uid, gid := 0, 0
	if cfg.User != "" {
		u, g, _ := strings.Cut(cfg.User, ":")
		if uid, err = strconv.Atoi(u); err != nil {
			t.Fatalf("user %q is not numeric", cfg.User)
		}
		gid = uid
		if g != "" {
			gid, _ = strconv.Atoi(g)
		}
	}
	proc["user"] = map[string]any{"uid": uid, "gid": gid}
	spec["root"] = map[string]any{"path": rootfs, "readonly": false}
	// Share the host network so the service answers on loopback.
	linux := spec["linux"].(map[string]any)
	var ns []any
	for _, n := range linux["namespaces"].([]any) {
		if n.(map[string]any)["type"] != "network" {
			ns = append(ns, n)
		}
	}
	linux["namespaces"] = ns
	dt, _ = json.Marshal(spec)
	if err := os.WriteFile(specPath, dt, 0o644); err != nil {
		t.Fatal(err)
	}

	return bundle
}

// freeAddr picks a loopback address nothing listens on.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// get polls the service until it answers.
func (c *container) get(t testing.TB, addr, path string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + path)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %s: %s", path, resp.Status, body)
			}
			return string(body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v; container output:\n%s", path, err, c.out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
