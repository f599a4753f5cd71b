//go:build integration

package integration

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strata-build/strata/internal/imagerun"
)

// checkNodeExpress runs the node-express image and checks that it answers
// as a non-root production app.
func checkNodeExpress(t *testing.T, img imagerun.Image, want string) {
	t.Helper()
	cfg := img.Config.Config
	if len(cfg.Entrypoint) != 0 || !slices.Equal(cfg.Cmd, []string{"node", "dist/server.js"}) {
		t.Errorf("entrypoint %q cmd %q: node must run as PID 1", cfg.Entrypoint, cfg.Cmd)
	}
	if cfg.User != "1000:1000" || cfg.WorkingDir != "/app" || !slices.Contains(cfg.Env, "NODE_ENV=production") {
		t.Errorf("user %q workdir %q env %q", cfg.User, cfg.WorkingDir, cfg.Env)
	}
	addr := freeAddr(t)
	host, port, _ := strings.Cut(addr, ":")
	c := runImage(t, img, "HOST="+host, "PORT="+port)
	if got := get(t, c, addr, "/"); !strings.Contains(got, want) {
		t.Errorf("GET / = %q, want %q", got, want)
	}
	if got := get(t, c, addr, "/env"); !strings.Contains(got, "NODE_ENV=production uid=1000") {
		t.Errorf("GET /env = %q", got)
	}
}

// An Express + TypeScript API with npm, from detection alone: it builds,
// runs and answers; the runtime holds production dependencies only; a
// source edit leaves both installs cached; a dependency change re-runs them
// with npm's cache warm.
func TestNodeExpress(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "node-express")
	img := b.images(t, c, build{dir: dir})[0]
	checkNodeExpress(t, img, "hello from node-express")

	paths := layerPaths(t, img)
	express, typescript, sources := holds(paths, "app/node_modules/express/"), holds(paths, "app/node_modules/typescript/"), holds(paths, "app/dist/server.js")
	if !express || typescript || !sources {
		t.Errorf("runtime holds express %v, typescript (a dev dependency) %v, dist/server.js %v", express, typescript, sources)
	}

	// A source edit: the build re-runs, neither install does.
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	greet := filepath.Join(dir, "src", "greet.ts")
	edit(t, greet, "hello from", "hi "+run+" from")
	imgs, v := b.imagesAndReport(t, c, build{dir: dir})
	checkNodeExpress(t, imgs[0], "hi "+run+" from node-express")
	if v.cached(t, "[build 2/2] npm run build") {
		t.Error("a source edit did not re-run the build")
	}
	for _, step := range []string{"[deps 2/2] npm ci", "[prod-deps 1/2] remove dev dependencies"} {
		if !v.cached(t, step) {
			t.Errorf("a source edit re-ran %s", step)
		}
	}

	// The description and .dockerignore are not the app's source: a new
	// run.env value and a new ignore pattern re-run no build.
	appendFile(t, filepath.Join(dir, "Dockerfile"), "  env:\n    GREETING_RUN: "+strconv.Quote(run)+"\n")
	appendFile(t, filepath.Join(dir, ".dockerignore"), "*.log\n")
	imgs, v = b.imagesAndReport(t, c, build{dir: dir})
	for _, step := range []string{"[build 1/2] copy the source", "[build 2/2] npm run build"} {
		if !v.cached(t, step) {
			t.Errorf("an edit of the description and .dockerignore re-ran %s", step)
		}
	}
	if !slices.Contains(imgs[0].Config.Config.Env, "GREETING_RUN="+run) {
		t.Errorf("the description's new run.env is not in the image: %q", imgs[0].Config.Config.Env)
	}

	// A new dependency re-runs the install, which takes every package it
	// had before from npm's cache mount, and the removal. (The description changes too, so
	// that this run's installs are new to a daemon that ran the test before.)
	manifest := filepath.Join(dir, "package.json")
	pj, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifest, bytes.Replace(pj, []byte(`"description": "`), []byte(`"description": "`+run+` `), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := command(t, dir, "npm", "install", "--no-audit", "--no-fund", "--package-lock-only", "ms@2.1.3"); err != nil {
		t.Fatalf("npm install ms: %v\n%s", err, out)
	}
	v, err = b.solve(t, c, build{dir: dir, attrs: map[string]string{"build-arg:NPM_CONFIG_LOGLEVEL": "http"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{"[deps 2/2] npm ci", "[prod-deps 1/2] remove dev dependencies"} {
		if v.cached(t, step) {
			t.Errorf("a new dependency did not re-run %s", step)
		}
	}
	// npm logs each tarball with where it came from: "(cache miss)" is a
	// download, "(cache hit)" or "(cache stale)" the cache mount.
	for _, step := range []string{"[deps 2/2] npm ci"} {
		log := v.log(t, step)
		if !strings.Contains(log, "/ms-2.1.3.tgz") {
			t.Errorf("%s did not install the new dependency:\n%s", step, log)
		}
		for line := range strings.Lines(log) {
			if strings.Contains(line, "/express-") && !strings.Contains(line, "(cache hit)") && !strings.Contains(line, "(cache stale)") {
				t.Errorf("%s did not take express from the cache: %s", step, line)
			}
		}
	}

	// --target test runs the test script on the built app.
	if _, err := b.solve(t, c, build{dir: dir, attrs: map[string]string{"target": "test"}}); err != nil {
		t.Errorf("--target test: %v", err)
	}
}

// A pnpm app pinned by packageManager: pnpm comes from a cached step, the
// store is a cache mount, the runtime holds production dependencies only.
func TestNodePnpm(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "node-pnpm")
	img := b.images(t, c, build{dir: dir})[0]
	cfg := img.Config.Config
	if len(cfg.Entrypoint) != 0 || !slices.Equal(cfg.Cmd, []string{"node", "server.js"}) || cfg.User != "1000:1000" {
		t.Errorf("entrypoint %q cmd %q user %q", cfg.Entrypoint, cfg.Cmd, cfg.User)
	}
	addr := freeAddr(t)
	host, port, _ := strings.Cut(addr, ":")
	ctr := runImage(t, img, "HOST="+host, "PORT="+port)
	if got := get(t, ctr, addr, "/"); !strings.Contains(got, "hello from node-pnpm, up ") {
		t.Errorf("GET / = %q", got)
	}
	paths := layerPaths(t, img)
	ms, isNumber := holds(paths, "app/node_modules/ms/") || holds(paths, "app/node_modules/.pnpm/ms@"), mentions(paths, "is-number")
	if !ms || isNumber {
		t.Errorf("runtime holds ms %v, is-number (a dev dependency) %v", ms, isNumber)
	}

	// The app has no build: its runtime takes the app from the context and
	// needs no install with dev dependencies. --target test runs the tests
	// on one; a source edit re-runs neither install.
	if _, err := b.solve(t, c, build{dir: dir, attrs: map[string]string{"target": "test"}}); err != nil {
		t.Fatal(err)
	}
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := os.WriteFile(filepath.Join(dir, "extra.js"), []byte("// "+run+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := b.solve(t, c, build{dir: dir, attrs: map[string]string{"target": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	if !v.cached(t, "[deps 3/3] pnpm install") || v.cached(t, "[build 1/1] copy the source") {
		t.Error("a source edit re-ran the install, or did not reach the source copy")
	}

	// A new dependency, added by the pinned pnpm on the host: both installs
	// re-run (the runtime's, then the test target's), pnpm reuses from the
	// store mount every package it had (its own progress line counts them)
	// and downloads at most the new one.
	prodInstall, devInstall := "[prod-deps 3/5] pnpm install (production)", "[deps 3/3] pnpm install"
	_, v = b.rebuildWithNewDependency(t, c, dir, []string{prodInstall}, managerAdd(t, dir, "pnpm@10.34.9", "pnpm", "add", "--lockfile-only", newDependency))
	vt, err := b.solve(t, c, build{dir: dir, attrs: map[string]string{"target": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	if vt.cached(t, devInstall) {
		t.Errorf("a lockfile change did not re-run %s", devInstall)
	}
	for step, v := range map[string]report{prodInstall: v, devInstall: vt} {
		m := regexp.MustCompile(`resolved (\d+), reused (\d+), downloaded (\d+), added (\d+), done`).FindStringSubmatch(v.log(t, step))
		if m == nil || m[3] != "0" && m[3] != "1" || m[2] == "0" {
			t.Errorf("%s: pnpm's progress %q, want every package but the new one reused from the store", step, m)
		}
	}

	// On Node 22, which ships corepack, pnpm is activated through it.
	desc := "# syntax=localhost:5000/strata:dev\nnode:\n  version: \"22\"\nrun:\n  port: 3000\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(desc), 0o644); err != nil {
		t.Fatal(err)
	}
	imgs, v := b.imagesAndReport(t, c, build{dir: dir})
	v.cached(t, "corepack enable pnpm") // fails the test when there is no such step
	img = imgs[0]
	if !slices.ContainsFunc(img.Config.Config.Env, func(e string) bool { return strings.HasPrefix(e, "NODE_VERSION=22.") }) {
		t.Errorf("env %q", img.Config.Config.Env)
	}
	addr = freeAddr(t)
	host, port, _ = strings.Cut(addr, ":")
	ctr = runImage(t, img, "HOST="+host, "PORT="+port)
	if got := get(t, ctr, addr, "/"); !strings.Contains(got, "hello from node-pnpm") {
		t.Errorf("GET / on Node 22 = %q", got)
	}
}

// A yarn 1 app whose lockfile records no download URLs (yarn resolves them
// from the registry it is configured with): yarn comes from a cached step,
// its cache is a locked cache mount, the build script runs with dev
// dependencies, the runtime holds production ones only.
func TestNodeYarn(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "node-yarn")
	img := b.images(t, c, build{dir: dir})[0]
	addr := freeAddr(t)
	host, port, _ := strings.Cut(addr, ":")
	ctr := runImage(t, img, "HOST="+host, "PORT="+port)
	if got := get(t, ctr, addr, "/"); !strings.Contains(got, "hello from node-yarn (built by yarn run build)") {
		t.Errorf("GET / = %q", got)
	}
	if got := get(t, ctr, addr, "/env"); !strings.Contains(got, "NODE_ENV=production uid=1000") {
		t.Errorf("GET /env = %q", got)
	}
	if mentions(layerPaths(t, img), "node_modules/is-number") {
		t.Error("a dev dependency reached the runtime image")
	}
	installs := []string{"[deps 3/3] yarn install", "[prod-deps 3/4] yarn install (production)"}

	// A source edit re-runs the build, neither install; --target test runs
	// the tests.
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	edit(t, filepath.Join(dir, "src", "server.js"), "hello from", "hi "+run+" from")
	_, v := b.imagesAndReport(t, c, build{dir: dir})
	for _, step := range installs {
		if !v.cached(t, step) {
			t.Errorf("a source edit re-ran %s", step)
		}
	}
	if v.cached(t, "yarn run build") {
		t.Error("a source edit did not re-run the build")
	}
	if _, err := b.solve(t, c, build{dir: dir, attrs: map[string]string{"target": "test"}}); err != nil {
		t.Fatalf("--target test: %v", err)
	}

	// A new dependency, added by yarn 1 on the host: both installs re-run,
	// yarn takes every package it had from its cache mount.
	imgs, _ := b.rebuildWithNewDependency(t, c, dir, installs, yarn1Add(t, dir))
	if !holds(layerPaths(t, imgs[0]), "app/node_modules/escape-html/") {
		t.Error("the runtime lacks the new dependency")
	}
}

// managerAdd runs a package manager from the npm registry on the host
// (npm exec pkg -- argv...) in dir, against the registry the host's npm
// uses.
func managerAdd(t testing.TB, dir, pkg string, argv ...string) func() {
	return func() {
		t.Helper()
		args := slices.Concat([]string{"exec", "--yes", "--package=" + pkg, "--"}, argv, []string{"--registry", hostRegistry(t) + "/"})
		if out, err := command(t, dir, "npm", args...); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
		}
	}
}

// yarn1Add adds newDependency with yarn 1 on the host (to a member with
// `yarn workspace <name>` words first), then takes the download URLs out
// of the lockfile again, as the examples keep it.
func yarn1Add(t testing.TB, dir string, workspace ...string) func() {
	return func() {
		t.Helper()
		managerAdd(t, dir, "yarn@1.22.22", slices.Concat([]string{"yarn"}, workspace, []string{"add", "--ignore-scripts", newDependency})...)()
		stripResolved(t, filepath.Join(dir, "yarn.lock"))
	}
}

// stripResolved takes the download URLs out of a yarn 1 lockfile: yarn
// then fetches from the registry it is configured with.
func stripResolved(t testing.TB, lock string) {
	t.Helper()
	dt, err := os.ReadFile(lock)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for line := range strings.Lines(string(dt)) {
		if !strings.HasPrefix(strings.TrimSpace(line), "resolved ") {
			out = append(out, line)
		}
	}
	if err := os.WriteFile(lock, []byte(strings.Join(out, "")), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A Next.js app with standalone output: the runtime image is the slim base
// plus the standalone server (its traced node_modules, .next/static and
// public), node runs server.js, .next/cache is a cache mount; a source edit
// re-runs the build but not the install.
func TestNodeNextStandalone(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "node-next")
	img := b.images(t, c, build{dir: dir})[0]
	if cfg := img.Config.Config; !slices.Equal(cfg.Cmd, []string{"node", "server.js"}) || cfg.User != "1000:1000" {
		t.Errorf("cmd %q user %q", cfg.Cmd, cfg.User)
	}
	addr := freeAddr(t)
	host, port, _ := strings.Cut(addr, ":")
	ctr := runImage(t, img, "HOSTNAME="+host, "PORT="+port)
	if got := get(t, ctr, addr, "/"); !strings.Contains(got, "hello from node-next") {
		t.Errorf("GET / = %q", got)
	}
	if got := get(t, ctr, addr, "/robots.txt"); !strings.Contains(got, "strata") {
		t.Errorf("GET /robots.txt (public/) = %q", got)
	}
	paths := layerPaths(t, img)
	server, static, cache := slices.Contains(paths, "app/server.js"), holds(paths, "app/.next/static/"), holds(paths, "app/.next/cache/")
	if !server || !static || cache {
		t.Errorf("server.js %v, .next/static %v, .next/cache (must stay on its cache mount) %v", server, static, cache)
	}

	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	page := filepath.Join(dir, "app", "page.js")
	edit(t, page, "hello from", "hi "+run+" from")
	v, err := b.solve(t, c, build{dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !v.cached(t, "[deps 2/2] npm ci") || v.cached(t, "[build 2/3] npm run build") {
		t.Error("a source edit re-ran the install, or did not re-run the build")
	}
	imgs, _ := b.npmRebuildWithNewDependency(t, c, dir, []string{"[deps 2/2] npm ci"})
	if !holds(layerPaths(t, imgs[0]), "app/server.js") {
		t.Error("the rebuilt image holds no standalone server")
	}
}

// A native addon (better-sqlite3, whose prebuilt binaries are out of reach
// here) compiles against the Node install's own headers on the target
// platform, once: the runtime's node_modules is the build's, pruned of dev
// dependencies, so the addon is not compiled a second time.
func TestNodeNativeAddon(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "node-native")
	imgs, v := b.imagesAndReport(t, c, build{dir: dir})
	img := imgs[0]
	addr := freeAddr(t)
	host, port, _ := strings.Cut(addr, ":")
	ctr := runImage(t, img, "HOST="+host, "PORT="+port)
	if got := get(t, ctr, addr, "/"); !strings.Contains(got, "hello from node-native, sqlite 3.") || !strings.Contains(got, "uid 1000") {
		t.Errorf("GET / = %q", got)
	}
	paths := layerPaths(t, img)
	if !holds(paths, "app/node_modules/better-sqlite3/build/Release/better_sqlite3.node") || mentions(paths, "node_modules/is-number") {
		t.Error("the runtime lacks the compiled addon, or holds a dev dependency")
	}
	// The production node_modules comes from pruning the build's: no second
	// install (which would compile again) takes part in the build.
	v.cached(t, "[prod-deps 1/2] remove dev dependencies") // fails the test when there is no such step
	for name := range v.ran {
		if strings.Contains(name, "npm ci (production)") {
			t.Errorf("a second install ran: %s", name)
		}
	}

	// A source edit re-runs neither the install (nor its compile) nor the
	// prune; a new dependency re-runs both with npm's cache warm.
	edit(t, filepath.Join(dir, "server.js"), "hello from", "hi "+strconv.FormatInt(time.Now().UnixNano(), 36)+" from")
	_, v = b.imagesAndReport(t, c, build{dir: dir})
	for _, step := range []string{"[deps 2/2] npm ci", "[prod-deps 1/2] remove dev dependencies"} {
		if !v.cached(t, step) {
			t.Errorf("a source edit re-ran %s", step)
		}
	}
	// The removal logs nothing: it is checked for having run, not read.
	if _, v := b.npmRebuildWithNewDependency(t, c, dir, []string{"[deps 2/2] npm ci"}); v.cached(t, "[prod-deps 1/2] remove dev dependencies") {
		t.Error("a lockfile change did not re-run [prod-deps 1/2] remove dev dependencies")
	}
}

// A Vite single-page app is a static site: its build output served by the
// unprivileged nginx image as uid 101, client-side routes answered with
// index.html.
func TestNodeViteStaticSite(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "node-vite")
	img := b.images(t, c, build{dir: dir})[0]
	if cfg := img.Config.Config; cfg.User != "101:101" {
		t.Errorf("user %q", cfg.User)
	}
	if !holds(layerPaths(t, img), "usr/share/nginx/html/assets/") {
		t.Error("the built assets are not in the image")
	}
	ctr := runImage(t, img)
	const addr = "127.0.0.1:8080" // the server's own port
	for _, path := range []string{"/", "/deep/client/route"} {
		if got := get(t, ctr, addr, path); !strings.Contains(got, "hello from node-vite") || !strings.Contains(got, "/assets/") {
			t.Errorf("GET %s = %q, want index.html", path, got)
		}
	}
	if got := get(t, ctr, addr, "/health"); got != "ok\n" {
		t.Errorf("GET /health = %q", got)
	}

	// A source edit re-runs the build, not the install; a new dependency
	// re-runs the install with npm's cache warm.
	edit(t, filepath.Join(dir, "index.html"), "hello from", "hi "+strconv.FormatInt(time.Now().UnixNano(), 36)+" from")
	_, v := b.imagesAndReport(t, c, build{dir: dir})
	if !v.cached(t, "[deps 2/2] npm ci") || v.cached(t, "npm run build") {
		t.Error("a source edit re-ran the install, or did not re-run the build")
	}
	_, _ = b.npmRebuildWithNewDependency(t, c, dir, []string{"[deps 2/2] npm ci"})
}
