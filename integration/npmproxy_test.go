//go:build integration

package integration

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/buildkit/client"

	"github.com/strata-build/strata/internal/imagerun"
)

// npmProxy is an npm registry on loopback in front of the one the host's
// npm uses, which records every tarball it serves: what an install in a
// build downloaded, seen from the network. The package documents it
// passes on name their tarballs at the proxy, so every download goes
// through it.
type npmProxy struct {
	url string // with a trailing slash, as NPM_CONFIG_REGISTRY takes it
	mu  sync.Mutex
	got []string // tarball file names, in order
}

// hostRegistry is the npm registry the host's npm uses, without a
// trailing slash.
func hostRegistry(t testing.TB) string {
	t.Helper()
	out, err := command(t, t.TempDir(), "npm", "config", "get", "registry")
	if err != nil {
		t.Fatalf("npm config get registry: %v\n%s", err, out)
	}
	return strings.TrimSuffix(strings.TrimSpace(out), "/")
}

// markRun marks the app's root package.json with this run, so that its
// installs are new steps even to a daemon that ran the test before.
func markRun(t testing.TB, dir string) {
	t.Helper()
	edit(t, filepath.Join(dir, "package.json"), "{", fmt.Sprintf("{\n  \"x-strata-test-run\": %q,", strconv.FormatInt(time.Now().UnixNano(), 36)))
}

func startNpmProxy(t testing.TB) *npmProxy {
	t.Helper()
	upstream := hostRegistry(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &npmProxy{url: "http://" + l.Addr().String() + "/"}
	self := strings.TrimSuffix(p.url, "/")
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "read-only", http.StatusMethodNotAllowed)
			return
		}
		req, err := http.NewRequestWithContext(r.Context(), r.Method, upstream+r.URL.EscapedPath(), nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// The client's Accept picks the abbreviated document npm asks
		// for; no Accept-Encoding, so the body arrives plain to rewrite.
		if a := r.Header.Get("Accept"); a != "" {
			req.Header.Set("Accept", a)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		if strings.HasSuffix(r.URL.Path, ".tgz") && resp.StatusCode == http.StatusOK {
			p.mu.Lock()
			p.got = append(p.got, path.Base(r.URL.Path))
			p.mu.Unlock()
		} else {
			body = bytes.ReplaceAll(body, []byte(upstream+"/"), []byte(self+"/"))
		}
		if ct := resp.Header.Get("Content-Type"); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(body)
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	// Downloads that bypassed the proxy would pass any check of it: the
	// documents it serves must name tarballs at the proxy.
	resp, err := http.Get(p.url + "ms")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := io.ReadAll(resp.Body)
	if err != nil || !bytes.Contains(doc, []byte(`"`+self+`/ms/-/ms-2.1.3.tgz"`)) {
		t.Fatalf("the registry proxy's document for ms names no tarball at the proxy (%v): %.300s", err, doc)
	}
	return p
}

// attrs point a build's installs at the proxy (yarn 2+ wants its plain
// http allowed by host).
func (p *npmProxy) attrs() map[string]string {
	return map[string]string{"build-arg:NPM_CONFIG_REGISTRY": p.url, "build-arg:YARN_UNSAFE_HTTP_WHITELIST": "127.0.0.1"}
}

// reset forgets the tarballs served so far.
func (p *npmProxy) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = nil
}

// tarballs are the tarballs served so far.
func (p *npmProxy) tarballs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.got)
}

// checkOnlyDownloaded fails the test when the proxy served a tarball
// other than those named (the packages a lockfile change added: a warm
// daemon may have them cached too, so none at all passes).
func checkOnlyDownloaded(t testing.TB, p *npmProxy, step string, allowed ...string) {
	t.Helper()
	for _, tb := range p.tarballs() {
		if !slices.Contains(allowed, tb) {
			t.Errorf("%s downloaded %s, which its cache mount had: every tarball served %q", step, tb, p.tarballs())
		}
	}
	t.Logf("tarballs downloaded through the registry proxy: %q", p.tarballs())
}

// The dependency tests add to change an app's lockfile, and its tarball.
const (
	newDependency = "escape-html@1.0.3"
	newTarball    = "escape-html-1.0.3.tgz"
)

// rebuildWithNewDependency changes an app's lockfile as a developer
// would: it marks the root package.json with this run (so the installs
// are new even to a daemon that ran the test before), lets add put
// newDependency into the lockfile, and builds through a registry proxy.
// Each install step must re-run and download no tarball but the new one:
// every other package comes from the manager's cache mount. That holds
// for caches keyed by content or package (pnpm, yarn 1 and 2+); npm's is
// keyed by URL, so npm apps use npmRebuildWithNewDependency.
func (b bed) rebuildWithNewDependency(t *testing.T, c *client.Client, dir string, steps []string, add func()) ([]imagerun.Image, report) {
	t.Helper()
	return b.rebuildThrough(t, c, startNpmProxy(t), dir, steps, add)
}

// rebuildThrough is rebuildWithNewDependency through a proxy the app may
// have built through before (a manager whose cache is per registry).
func (b bed) rebuildThrough(t *testing.T, c *client.Client, proxy *npmProxy, dir string, steps []string, add func()) ([]imagerun.Image, report) {
	t.Helper()
	proxy.reset()
	markRun(t, dir)
	add()
	start := time.Now()
	imgs, v := b.imagesAndReport(t, c, build{dir: dir, attrs: proxy.attrs()})
	t.Logf("rebuilt after a lockfile change in %s", time.Since(start).Round(time.Millisecond))
	for _, step := range steps {
		if v.cached(t, step) {
			t.Errorf("a lockfile change did not re-run %s", step)
		}
	}
	checkOnlyDownloaded(t, proxy, strings.Join(steps, ", "), newTarball)
	return imgs, v
}

// npmAdd is `npm install --package-lock-only` of newDependency, with npm
// flags such as --workspace.
func npmAdd(t testing.TB, dir string, flags ...string) func() {
	return func() {
		t.Helper()
		args := slices.Concat([]string{"install", "--package-lock-only", "--no-audit", "--no-fund"}, flags, []string{newDependency})
		if out, err := command(t, dir, "npm", args...); err != nil {
			t.Fatalf("npm %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// npmRebuildWithNewDependency is rebuildWithNewDependency for npm, whose
// cache is keyed by tarball URL (another registry would miss it): npm's
// own log at level http says where each tarball came from, "(cache miss)"
// being a download.
func (b bed) npmRebuildWithNewDependency(t *testing.T, c *client.Client, dir string, steps []string, flags ...string) ([]imagerun.Image, report) {
	t.Helper()
	markRun(t, dir)
	npmAdd(t, dir, flags...)()
	start := time.Now()
	imgs, v := b.imagesAndReport(t, c, build{dir: dir, attrs: map[string]string{"build-arg:NPM_CONFIG_LOGLEVEL": "http"}})
	t.Logf("rebuilt after a lockfile change in %s", time.Since(start).Round(time.Millisecond))
	tarballs := 0
	for _, step := range steps {
		if v.cached(t, step) {
			t.Errorf("a lockfile change did not re-run %s", step)
		}
		for line := range strings.Lines(v.log(t, step)) {
			if !strings.Contains(line, "http fetch GET") || !strings.Contains(line, ".tgz") {
				continue
			}
			tarballs++
			if strings.Contains(line, "(cache miss)") && !strings.Contains(line, "/"+newTarball) {
				t.Errorf("%s downloaded a tarball its cache mount had: %s", step, strings.TrimSpace(line))
			}
		}
	}
	if tarballs == 0 {
		t.Errorf("npm logged no tarball in %q: the check saw nothing", steps)
	}
	return imgs, v
}
