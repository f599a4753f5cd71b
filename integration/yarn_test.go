//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"

	"github.com/strata-build/strata/internal/imagerun"
)

// berryVersion is the yarn 2+ release the examples pin.
const berryVersion = "4.18.1"

// yarnRelease fetches a yarn 2+ release (@yarnpkg/cli-dist's bin/yarn.js,
// the file `yarn set version` commits) through the host's npm: a release
// names registry hosts, so none is committed.
func yarnRelease(t testing.TB) []byte {
	t.Helper()
	dir := t.TempDir()
	out, err := command(t, dir, "npm", "pack", "--silent", "@yarnpkg/cli-dist@"+berryVersion)
	if err != nil {
		t.Fatalf("npm pack @yarnpkg/cli-dist: %v\n%s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, strings.TrimSpace(out)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("no bin/yarn.js in @yarnpkg/cli-dist@%s: %v", berryVersion, err)
		}
		if h.Name == "package/bin/yarn.js" {
			dt, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return dt
		}
	}
}

// commitYarnRelease writes the release into the app as `yarn set version`
// does: .yarn/releases/yarn-<v>.cjs, named by yarnPath in .yarnrc.yml. It
// returns the release's path.
func commitYarnRelease(t testing.TB, dir string) string {
	t.Helper()
	rel := ".yarn/releases/yarn-" + berryVersion + ".cjs"
	if err := os.MkdirAll(filepath.Join(dir, ".yarn", "releases"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, rel), yarnRelease(t), 0o755); err != nil {
		t.Fatal(err)
	}
	rc := filepath.Join(dir, ".yarnrc.yml")
	dt, err := os.ReadFile(rc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rc, append(dt, []byte("yarnPath: "+rel+"\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, rel)
}

// A yarn 4 app with node_modules: yarn comes from a cached step, the
// global cache is a locked cache mount, the build script runs with dev
// dependencies, the runtime holds production ones only; a source edit
// leaves both installs cached; a new dependency re-runs the install, which
// takes the packages it had from the cache.
func TestNodeYarnBerry(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "node-yarn-berry")
	start := time.Now()
	img := b.images(t, c, build{dir: dir})[0]
	t.Logf("build: %s", time.Since(start).Round(time.Millisecond))
	cfg := img.Config.Config
	if len(cfg.Entrypoint) != 0 || !slices.Equal(cfg.Cmd, []string{"node", "dist/server.js"}) || cfg.User != "1000:1000" {
		t.Errorf("entrypoint %q cmd %q user %q", cfg.Entrypoint, cfg.Cmd, cfg.User)
	}
	answers("HOST", "PORT", "hello from node-yarn-berry (built by yarn run build), up ")(t, img)
	paths := layerPaths(t, img)
	ms, isNumber, cache := holds(paths, "app/node_modules/ms/"), mentions(paths, "is-number"), mentions(paths, ".yarn/berry")
	if !ms || isNumber || cache {
		t.Errorf("runtime holds ms %v, is-number (a dev dependency) %v, yarn's cache %v", ms, isNumber, cache)
	}

	// A source edit re-runs the build, neither install.
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	edit(t, filepath.Join(dir, "src", "server.js"), "hello from", "hi "+run+" from")
	start = time.Now()
	imgs, v := b.imagesAndReport(t, c, build{dir: dir})
	t.Logf("rebuild after a source edit: %s", time.Since(start).Round(time.Millisecond))
	answers("HOST", "PORT", "hi "+run+" from node-yarn-berry")(t, imgs[0])
	if v.cached(t, "yarn run build") {
		t.Error("a source edit did not re-run the build")
	}
	for _, step := range []string{"] yarn install", "] yarn workspaces focus (production)"} {
		if !v.cached(t, step) {
			t.Errorf("a source edit re-ran %s", step)
		}
	}

	// A new dependency, added with the same yarn on the host: the install
	// re-runs, and yarn reports as added to its cache (downloaded) only the
	// package the cache mount cannot have had before this change, if any.
	imgs = b.berryRebuildWithNewDependency(t, c, dir, "")
	if !holds(layerPaths(t, imgs[0]), "app/node_modules/escape-html/") {
		t.Error("the runtime lacks the new dependency")
	}

	if _, err := b.solve(t, c, build{dir: dir, attrs: map[string]string{"target": "test"}}); err != nil {
		t.Errorf("--target test: %v", err)
	}

	// On Node 24, which ships corepack, the pinned yarn comes through it
	// (from the npm registry, as the stand-in images configure corepack).
	desc := "# syntax=localhost:5000/strata:dev\nnode:\n  version: \"24\"\nrun:\n  port: 3000\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(desc), 0o644); err != nil {
		t.Fatal(err)
	}
	imgs, v = b.imagesAndReport(t, c, build{dir: dir})
	v.cached(t, "corepack install yarn@"+berryVersion) // fails the test when there is no such step
	answers("HOST", "PORT", "hi "+run+" from node-yarn-berry")(t, imgs[0])
}

// A yarn 4 Plug'n'Play app with a committed release (yarnPath), fetched
// here since a release names registry hosts: the release runs with node
// (nothing installs yarn), the runtime has no node_modules and starts node
// as PID 1 through .pnp.cjs and the ESM loader, with the zips of the
// production dependencies only.
func TestNodeYarnPnP(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "node-yarn-pnp")
	commitYarnRelease(t, dir)
	imgs, v := b.imagesAndReport(t, c, build{dir: dir})
	img := imgs[0]
	for name := range v.ran {
		if strings.Contains(name, "cli-dist") || strings.Contains(name, "corepack") {
			t.Errorf("yarn was installed although the app commits its release: %s", name)
		}
	}
	cfg := img.Config.Config
	if !slices.Equal(cfg.Cmd, []string{"node", "server.js"}) || cfg.User != "1000:1000" || !slices.Contains(cfg.Env, "NODE_OPTIONS=--require /app/.pnp.cjs --experimental-loader file:///app/.pnp.loader.mjs") {
		t.Errorf("cmd %q user %q env %q", cfg.Cmd, cfg.User, cfg.Env)
	}
	addr := freeAddr(t)
	host, port, _ := strings.Cut(addr, ":")
	ctr := runImage(t, img, "HOST="+host, "PORT="+port)
	if got := get(t, ctr, addr, "/"); !strings.Contains(got, "hello from node-yarn-pnp, up ") {
		t.Errorf("GET / = %q", got)
	}
	if got := get(t, ctr, addr, "/env"); !strings.Contains(got, "NODE_ENV=production uid=1000 pnp=on") {
		t.Errorf("GET /env = %q", got)
	}
	paths := layerPaths(t, img)
	if holds(paths, "app/node_modules/") || !slices.Contains(paths, "app/.pnp.cjs") || !holds(paths, "app/.yarn/cache/ms-npm-2.1.3") || mentions(paths, "is-number") {
		t.Errorf("runtime: node_modules %v, .pnp.cjs %v, ms's zip %v, is-number (a dev dependency) %v", holds(paths, "app/node_modules/"),
			slices.Contains(paths, "app/.pnp.cjs"), holds(paths, "app/.yarn/cache/ms-npm-2.1.3"), mentions(paths, "is-number"))
	}
	if bytes.Contains(imageFile(t, img, "/app/.pnp.cjs"), []byte("is-number")) {
		t.Error("the runtime's .pnp.cjs maps a dev dependency")
	}

	// A source edit re-runs no install. The app has no build: its runtime
	// takes the app from the context and needs no install with dev
	// dependencies.
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	edit(t, filepath.Join(dir, "server.js"), "hello from", "hi "+run+" from")
	start := time.Now()
	imgs, v = b.imagesAndReport(t, c, build{dir: dir})
	t.Logf("rebuild after a source edit: %s", time.Since(start).Round(time.Millisecond))
	answers("HOST", "PORT", "hi "+run+" from node-yarn-pnp")(t, imgs[0])
	if !v.cached(t, "] yarn workspaces focus (production)") {
		t.Error("a source edit re-ran the production install")
	}
	// A new dependency: the production install's project cache fills from
	// the global mirror on the cache mount.
	imgs = b.berryRebuildWithNewDependency(t, c, dir, "", "] yarn workspaces focus (production)")
	if !holds(layerPaths(t, imgs[0]), "app/.yarn/cache/escape-html-npm-1.0.3-") {
		t.Error("the runtime lacks the new dependency's zip")
	}
	if _, err := b.solve(t, c, build{dir: dir, attrs: map[string]string{"target": "test"}}); err != nil {
		t.Errorf("--target test: %v", err)
	}
}

// berryRebuildWithNewDependency is rebuildWithNewDependency for yarn 2+,
// with the same yarn release on the host adding newDependency (to the
// member named by workspace, if any). yarn's own report cannot tell a
// download from a copy out of the global mirror (PnP fills the project's
// cache from it and counts every zip as added), so the proxy's view is
// the one read. steps are those that must re-run (the install, unless
// given).
func (b bed) berryRebuildWithNewDependency(t *testing.T, c *client.Client, dir, workspace string, steps ...string) []imagerun.Image {
	t.Helper()
	yarn := filepath.Join(t.TempDir(), "yarn.cjs")
	if err := os.WriteFile(yarn, yarnRelease(t), 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{yarn, "add", "--mode=update-lockfile", newDependency}
	if workspace != "" {
		args = []string{yarn, "workspace", workspace, "add", "--mode=update-lockfile", newDependency}
	}
	if len(steps) == 0 {
		steps = []string{"] yarn install"}
	}
	imgs, _ := b.rebuildWithNewDependency(t, c, dir, steps, func() {
		if out, err := command(t, dir, "node", args...); err != nil {
			t.Fatalf("yarn add %s: %v\n%s", newDependency, err, out)
		}
	})
	return imgs
}
