//go:build integration

package integration

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A TypeScript server installed with bun and run by bun: bun comes from the
// npm registry in a cached step, its cache is a cache mount, the runtime is
// the slim Node image with the bun binary, non-root, with production
// dependencies only; a source edit leaves both installs cached.
func TestNodeBun(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "node-bun")
	img := b.images(t, c, build{dir: dir})[0]
	cfg := img.Config.Config
	if len(cfg.Entrypoint) != 0 || !slices.Equal(cfg.Cmd, []string{"bun", "server.ts"}) || cfg.User != "1000:1000" {
		t.Errorf("entrypoint %q cmd %q user %q", cfg.Entrypoint, cfg.Cmd, cfg.User)
	}
	addr := freeAddr(t)
	host, port, _ := strings.Cut(addr, ":")
	ctr := runImage(t, img, "HOST="+host, "PORT="+port)
	if got := get(t, ctr, addr, "/"); !strings.Contains(got, "hello from node-bun, up ") {
		t.Errorf("GET / = %q", got)
	}
	if got := get(t, ctr, addr, "/env"); !strings.Contains(got, "NODE_ENV=production uid=1000 bun=1.4.5") {
		t.Errorf("GET /env = %q", got)
	}
	paths := layerPaths(t, img)
	bun, ms, isNumber, cache := slices.Contains(paths, "usr/local/bin/bun"), holds(paths, "app/node_modules/ms/"), mentions(paths, "is-number"), mentions(paths, ".bun/install")
	if !bun || !ms || isNumber || cache {
		t.Errorf("runtime holds bun %v, ms %v, is-number (a dev dependency) %v, bun's cache %v", bun, ms, isNumber, cache)
	}

	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	edit(t, filepath.Join(dir, "server.ts"), "hello from", "hi "+run+" from")
	start := time.Now()
	imgs, v := b.imagesAndReport(t, c, build{dir: dir})
	t.Logf("rebuild after a source edit: %s", time.Since(start).Round(time.Millisecond))
	answers("HOST", "PORT", "hi "+run+" from node-bun")(t, imgs[0])
	for _, step := range []string{"[deps 3/3] bun install", "[prod-deps 3/4] bun install (production)"} {
		if !v.cached(t, step) {
			t.Errorf("a source edit re-ran %s", step)
		}
	}
	if v.cached(t, "copy the app") {
		t.Error("a source edit did not reach the app's copy")
	}

	// A new dependency, added by the same bun on the host: both installs
	// re-run, bun takes every package it had from its cache mount. Bun
	// keys its cache by registry too, so the app builds through the proxy
	// once before.
	proxy := startNpmProxy(t)
	if _, err := b.solve(t, c, build{dir: dir, attrs: proxy.attrs()}); err != nil {
		t.Fatal(err)
	}
	imgs, _ = b.rebuildThrough(t, c, proxy, dir, []string{"[deps 3/3] bun install", "[prod-deps 3/4] bun install (production)"},
		managerAdd(t, dir, "bun@1.4.5", "bun", "add", "--lockfile-only", newDependency))
	if !holds(layerPaths(t, imgs[0]), "app/node_modules/escape-html/") {
		t.Error("the runtime lacks the new dependency")
	}
	if _, err := b.solve(t, c, build{dir: dir, attrs: map[string]string{"target": "test"}}); err != nil {
		t.Errorf("--target test: %v", err)
	}
}
