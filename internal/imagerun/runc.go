package imagerun

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Bundle unpacks img into an OCI runtime bundle at dir whose process is the
// image's entrypoint and cmd, run as the image's user with its env (plus
// env) and workdir, with the /etc/hosts docker writes. The container shares
// the host network, so a service answers on loopback.
func Bundle(img Image, dir string, env ...string) error {
	rootfs := filepath.Join(dir, "rootfs")
	if err := img.Unpack(rootfs); err != nil {
		return fmt.Errorf("unpacking the image: %w", err)
	}
	if err := writeHosts(rootfs); err != nil {
		return err
	}
	if out, err := exec.Command("runc", "spec", "--bundle", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("runc spec: %w: %s", err, out)
	}
	specPath := filepath.Join(dir, "config.json")
	dt, err := os.ReadFile(specPath)
	if err != nil {
		return err
	}
	var spec map[string]any
	if err := json.Unmarshal(dt, &spec); err != nil {
		return err
	}
	cfg := img.Config.Config
	uid, gid, err := numericUser(cfg.User)
	if err != nil {
		return err
	}
	proc, ok := spec["process"].(map[string]any)
	linux, ok2 := spec["linux"].(map[string]any)
	nsList, ok3 := linux["namespaces"].([]any)
	if !ok || !ok2 || !ok3 {
		return fmt.Errorf("runc spec: unexpected layout")
	}
	proc["terminal"] = false
	proc["args"] = append(append([]string{}, cfg.Entrypoint...), cfg.Cmd...)
	proc["env"] = append(append([]string{}, cfg.Env...), env...)
	if cfg.WorkingDir != "" {
		proc["cwd"] = cfg.WorkingDir
	}
	proc["user"] = map[string]any{"uid": uid, "gid": gid}
	spec["root"] = map[string]any{"path": rootfs, "readonly": false}
	var ns []any
	for _, n := range nsList {
		if m, ok := n.(map[string]any); ok && m["type"] == "network" {
			continue
		}
		ns = append(ns, n)
	}
	linux["namespaces"] = ns
	if dt, err = json.Marshal(spec); err != nil {
		return err
	}
	return os.WriteFile(specPath, dt, 0o644)
}

// hosts is the loopback part of the /etc/hosts docker writes into every
// container: Go (caddy's admin endpoint, for one) resolves localhost
// through it, and images carry none.
const hosts = `127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
fe00::0	ip6-localnet
ff00::0	ip6-mcastprefix
ff02::1	ip6-allnodes
ff02::2	ip6-allrouters
`

// writeHosts replaces the image's /etc/hosts, as docker's bind mount does.
func writeHosts(rootfs string) error {
	etc := filepath.Join(rootfs, "etc")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		return err
	}
	p := filepath.Join(etc, "hosts")
	if err := os.RemoveAll(p); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(hosts), 0o644)
}

// numericUser reads a "uid[:gid]" user; names would need the image's passwd.
func numericUser(user string) (int, int, error) {
	if user == "" {
		return 0, 0, nil
	}
	u, g, hasGroup := strings.Cut(user, ":")
	uid, err := strconv.Atoi(u)
	if err != nil {
		return 0, 0, fmt.Errorf("user %q is not numeric", user)
	}
	gid := uid
	if hasGroup {
		if gid, err = strconv.Atoi(g); err != nil {
			return 0, 0, fmt.Errorf("group in %q is not numeric", user)
		}
	}
	return uid, gid, nil
}

// Container is a bundle started in the background.
type Container struct {
	id   string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

// Start runs the bundle's process in the background.
func Start(bundle string) (*Container, error) {
	c := &Container{id: newID(), out: &syncBuffer{}, done: make(chan struct{})}
	c.cmd = exec.Command("runc", "run", "--bundle", bundle, c.id)
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { c.cmd.Wait(); close(c.done) }()
	return c, nil
}

// Output is what the process printed so far.
func (c *Container) Output() string { return c.out.String() }

// Stop kills the process and removes the container.
func (c *Container) Stop() {
	exec.Command("runc", "kill", c.id, "KILL").Run()
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
	}
	exec.Command("runc", "delete", "--force", c.id).Run()
}

// Run runs the bundle's process to completion and returns its output.
func Run(bundle string) (string, error) {
	id := newID()
	defer exec.Command("runc", "delete", "--force", id).Run()
	out, err := exec.Command("runc", "run", "--bundle", bundle, id).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("runc run: %w", err)
	}
	return string(out), nil
}

func newID() string { return fmt.Sprintf("strata-%d", time.Now().UnixNano()) }

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
