//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"

	"github.com/strata-build/strata/internal/imagerun"
)

// checkWorkspaceWeb runs the apps/web image of a workspace example and
// checks that it answers with what the workspace library built.
func checkWorkspaceWeb(t *testing.T, img imagerun.Image, want string) {
	t.Helper()
	cfg := img.Config.Config
	if len(cfg.Entrypoint) != 0 || !slices.Equal(cfg.Cmd, []string{"node", "server.js"}) || cfg.User != "1000:1000" || cfg.WorkingDir != "/app/apps/web" {
		t.Errorf("entrypoint %q cmd %q user %q workdir %q", cfg.Entrypoint, cfg.Cmd, cfg.User, cfg.WorkingDir)
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

// buildWorkspaceWeb builds a workspace example's apps/web image and checks
// that it answers, holds every path of has, and has no path under /app
// containing one of lacks (a dev dependency, another member, the install's
// manifests).
func (b bed) buildWorkspaceWeb(t *testing.T, c *client.Client, dir string, has, lacks []string) imagerun.Image {
	t.Helper()
	start := time.Now()
	img := b.images(t, c, build{dir: dir})[0]
	t.Logf("built in %s", time.Since(start).Round(time.Millisecond))
	checkWorkspaceWeb(t, img, "hello from web, greeted by @demo/greet, up ")
	paths := layerPaths(t, img)
	for _, p := range has {
		if !holds(paths, p) {
			t.Errorf("the runtime does not hold %s", p)
		}
	}
	for _, p := range lacks {
		if found := appPathsWith(paths, p); len(found) > 0 {
			t.Errorf("the runtime holds %s: %q", p, found[:min(len(found), 5)])
		}
	}
	return img
}

// editWorkspaceWeb edits apps/web's server and rebuilds: the image answers
// with the edit, and none of installs re-ran. It returns the edit's mark
// (the greeting now says it) and the solve report.
func (b bed) editWorkspaceWeb(t *testing.T, c *client.Client, dir string, installs []string) (string, report) {
	t.Helper()
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	edit(t, filepath.Join(dir, "apps", "web", "server.js"), "${greet(\"web\")}, up", "${greet(\"web\")} "+run+", up")
	start := time.Now()
	imgs, v := b.imagesAndReport(t, c, build{dir: dir})
	t.Logf("rebuilt after a source edit in %s", time.Since(start).Round(time.Millisecond))
	checkWorkspaceWeb(t, imgs[0], "greeted by @demo/greet "+run+", up ")
	for _, step := range installs {
		if !v.cached(t, step) {
			t.Errorf("a source edit re-ran %s", step)
		}
	}
	return run, v
}

// One member of a pnpm workspace (node.workspace: apps/web), which depends
// on a workspace library with a TypeScript build of its own: the library
// is built first and its output answers over HTTP; the image holds the
// member, the library's build output and their production dependencies,
// no dev dependency and no other member; a source edit in apps/web leaves
// both installs cached.
func TestNodePnpmMonorepo(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "node-pnpm-monorepo")
	b.buildWorkspaceWeb(t, c, dir,
		[]string{"app/apps/web/server.js", "app/packages/greet/dist/index.js", "app/node_modules/.pnpm/ms@2.1.3/node_modules/ms/package.json", "app/apps/web/node_modules/@demo/greet", "app/apps/web/package.json", "app/packages/greet/package.json"},
		[]string{"typescript", "is-number", "apps/admin", "pnpm-lock.yaml"})

	// A source edit in the member re-runs the build, neither install.
	installs := []string{"[deps 3/3] pnpm install", "[prod-deps 3/4] pnpm install (production)"}
	if _, v := b.editWorkspaceWeb(t, c, dir, installs); v.cached(t, "[build 1/2] copy the source") {
		t.Error("a source edit did not reach the source copy")
	}
	// A new dependency of the member re-runs both installs from the warm store.
	imgs, _ := b.rebuildWithNewDependency(t, c, dir, installs, managerAdd(t, dir, "pnpm@10.34.9", "pnpm", "add", "--lockfile-only", "--filter", "@demo/web", newDependency))
	if !holds(layerPaths(t, imgs[0]), "app/node_modules/.pnpm/escape-html@1.0.3/") {
		t.Error("the runtime lacks the new dependency")
	}
}

// The same monorepo as an npm workspace: npm installs only the named
// workspaces' dependencies, builds the library in a step before the
// member's, and the image holds no dev dependency and no other member.
func TestNodeNpmWorkspaces(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "node-npm-workspaces")
	img := b.buildWorkspaceWeb(t, c, dir,
		[]string{"app/apps/web/server.js", "app/packages/greet/dist/index.js", "app/node_modules/ms/package.json", "app/node_modules/@demo/greet", "app/apps/web/package.json"},
		[]string{"typescript", "is-number", "apps/admin"})
	if paths := layerPaths(t, img); holds(paths, "app/package-lock.json") || holds(paths, "app/package.json") {
		t.Error("the runtime holds the install's root manifests")
	}
	installs := []string{"[deps 2/2] npm ci", "[prod-deps 2/2] npm ci (production)"}
	b.editWorkspaceWeb(t, c, dir, installs)
	imgs, _ := b.npmRebuildWithNewDependency(t, c, dir, installs, "--workspace", "apps/web")
	if !holds(layerPaths(t, imgs[0]), "app/node_modules/escape-html/") {
		t.Error("the runtime lacks the new dependency")
	}
}

// appPathsWith are the paths under /app that contain part (the base
// image's own files, npm's among them, are not the app's).
func appPathsWith(paths []string, part string) []string {
	var out []string
	for _, p := range paths {
		if strings.HasPrefix(p, "app/") && strings.Contains(p, part) {
			out = append(out, p)
		}
	}
	return out
}

// The same monorepo as a yarn 1 workspace: yarn cannot narrow an install
// to one member, so the image holds every member's production dependencies
// (is-number is apps/admin's), but only apps/web's and packages/greet's
// code; the library's build runs first, through yarn workspace.
func TestNodeYarnWorkspaces(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "node-yarn-workspaces")
	b.buildWorkspaceWeb(t, c, dir,
		[]string{"app/apps/web/server.js", "app/packages/greet/dist/index.js", "app/node_modules/ms/package.json", "app/node_modules/@demo/greet"},
		[]string{"typescript", "apps/admin", "yarn.lock"})
	installs := []string{"[deps 3/3] yarn install", "[prod-deps 3/3] yarn install (production)"}
	b.editWorkspaceWeb(t, c, dir, installs)
	imgs, _ := b.rebuildWithNewDependency(t, c, dir, installs, yarn1Add(t, dir, "workspace", "@demo/web"))
	if !holds(layerPaths(t, imgs[0]), "app/node_modules/escape-html/") {
		t.Error("the runtime lacks the new dependency")
	}
}

// The same monorepo as a yarn 4 workspace, first with node_modules, then
// with Plug'n'Play: the build's install is the whole frozen workspace; the
// runtime's is `yarn workspaces focus @demo/web --production`, so the
// image holds the member's production closure only (not apps/admin's
// is-number, as yarn 1 must); a source edit leaves both installs cached.
func TestNodeYarnBerryWorkspaces(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "node-yarn-berry-workspaces")
	b.buildWorkspaceWeb(t, c, dir,
		[]string{"app/apps/web/server.js", "app/packages/greet/dist/index.js", "app/node_modules/ms/package.json", "app/node_modules/@demo/greet"},
		[]string{"typescript", "is-number", "apps/admin", "yarn.lock", "app/.yarn/"})
	run, _ := b.editWorkspaceWeb(t, c, dir, []string{"] yarn install", "] yarn workspaces focus (production)"})
	imgs := b.berryRebuildWithNewDependency(t, c, dir, "@demo/web")
	if !holds(layerPaths(t, imgs[0]), "app/node_modules/escape-html/") {
		t.Error("the runtime lacks the new dependency")
	}

	// Plug'n'Play: the same lockfile, no node_modules; the runtime loads
	// .pnp.cjs, which finds the member's dependencies in the zips of the
	// focused install.
	if err := os.WriteFile(filepath.Join(dir, ".yarnrc.yml"), []byte("nodeLinker: pnp\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	img := b.images(t, c, build{dir: dir})[0]
	t.Logf("built with PnP in %s", time.Since(start).Round(time.Millisecond))
	checkWorkspaceWeb(t, img, "greeted by @demo/greet "+run+", up ")
	paths := layerPaths(t, img)
	if !slices.ContainsFunc(paths, func(p string) bool { return strings.HasPrefix(p, "app/.yarn/cache/escape-html-npm-1.0.3-") }) {
		t.Error("the PnP runtime lacks the new dependency's zip")
	}
	if !holds(paths, "app/.pnp.cjs") || !slices.ContainsFunc(paths, func(p string) bool { return strings.HasPrefix(p, "app/.yarn/cache/ms-npm-2.1.3-") }) {
		t.Error("the PnP runtime lacks .pnp.cjs or ms's zip")
	}
	for _, p := range []string{"node_modules/", "typescript", "is-number", "apps/admin"} {
		if found := appPathsWith(paths, p); len(found) > 0 {
			t.Errorf("the PnP runtime holds %s: %q", p, found[:min(len(found), 5)])
		}
	}
}

// A Next.js app with standalone output as the member apps/web of an npm
// workspace (the node-next example moved there, its lockfile made anew at
// the root): Next traces the server from the workspace root, so the image
// holds .next/standalone with the server under apps/web, node runs
// server.js there, and the page, the static chunks and public/ answer.
func TestNodeNextStandaloneInWorkspace(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := t.TempDir()
	web := filepath.Join(dir, "apps", "web")
	if err := os.MkdirAll(filepath.Dir(web), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(b.example(t, "node-next"), web); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"Dockerfile", "package-lock.json"} {
		if err := os.Remove(filepath.Join(web, f)); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range map[string]string{
		"Dockerfile":    "# syntax=localhost:5000/strata:dev\nnode:\n  workspace: apps/web\n",
		"package.json":  `{"name": "next-monorepo", "private": true, "workspaces": ["apps/*"]}` + "\n",
		".dockerignore": "**/node_modules\n**/.next\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := command(t, dir, "npm", "install", "--package-lock-only", "--no-audit", "--no-fund"); err != nil {
		t.Fatalf("npm install --package-lock-only: %v\n%s", err, out)
	}
	start := time.Now()
	img := b.images(t, c, build{dir: dir})[0]
	t.Logf("built in %s", time.Since(start).Round(time.Millisecond))
	if cfg := img.Config.Config; !slices.Equal(cfg.Cmd, []string{"node", "server.js"}) || cfg.User != "1000:1000" || cfg.WorkingDir != "/app/apps/web" {
		t.Errorf("cmd %q user %q workdir %q", cfg.Cmd, cfg.User, cfg.WorkingDir)
	}
	addr := freeAddr(t)
	host, port, _ := strings.Cut(addr, ":")
	ctr := runImage(t, img, "HOSTNAME="+host, "PORT="+port)
	page := get(t, ctr, addr, "/")
	if !strings.Contains(page, "hello from node-next") {
		t.Errorf("GET / = %q", page)
	}
	if got := get(t, ctr, addr, "/robots.txt"); !strings.Contains(got, "strata") {
		t.Errorf("GET /robots.txt (public/) = %q", got)
	}
	// The page's own script chunks come from .next/static.
	chunk := regexp.MustCompile(`/_next/static/[^"]+\.js`).FindString(page)
	if chunk == "" {
		t.Errorf("the page names no script chunk: %q", page)
	} else if got := get(t, ctr, addr, chunk); len(got) == 0 {
		t.Errorf("GET %s is empty", chunk)
	}
	paths := layerPaths(t, img)
	for _, p := range []string{"app/apps/web/server.js", "app/apps/web/.next/static/", "app/node_modules/next/"} {
		if !holds(paths, p) {
			t.Errorf("the runtime does not hold %s", p)
		}
	}
	if holds(paths, "app/apps/web/.next/cache/") {
		t.Error(".next/cache reached the image (it stays on its cache mount)")
	}
}
