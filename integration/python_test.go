//go:build integration

package integration

import (
	"archive/tar"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strata-build/strata/internal/imagerun"
)

// A FastAPI service with pinned requirements, from detection alone: uvicorn
// serves it from the virtualenv on the slim image as a non-root user; a
// source edit leaves the dependency install cached.
func TestPythonFastAPI(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "python-fastapi")
	img := b.images(t, c, build{dir: dir})[0]
	cfg := img.Config.Config
	if !slices.Equal(cfg.Cmd, []string{"uvicorn", "main:app"}) || cfg.User != "65532:65532" || cfg.WorkingDir != "/app" {
		t.Errorf("cmd %q user %q workdir %q", cfg.Cmd, cfg.User, cfg.WorkingDir)
	}
	if _, ok := cfg.ExposedPorts["8000/tcp"]; !ok {
		t.Errorf("ports %v", cfg.ExposedPorts)
	}
	addr := freeAddr(t)
	host, port, _ := strings.Cut(addr, ":")
	ctr := runImage(t, img, "UVICORN_HOST="+host, "UVICORN_PORT="+port)
	if got := get(t, ctr, addr, "/"); !strings.Contains(got, `"hello from python-fastapi"`) {
		t.Errorf("GET / = %q", got)
	}
	if got := get(t, ctr, addr, "/env"); !strings.Contains(got, `"uid":65532`) || !strings.Contains(got, `"venv":"/app/.venv"`) {
		t.Errorf("GET /env = %q", got)
	}
	// pip's cache lives on a cache mount, never in a layer.
	paths := layerPaths(t, img)
	pip, sources := holds(paths, "root/.cache/pip/"), slices.Contains(paths, "app/main.py")
	if pip || !sources {
		t.Errorf("pip cache in a layer %v, app/main.py present %v", pip, sources)
	}

	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	greet := filepath.Join(dir, "greet.py")
	edit(t, greet, "hello from", "hi "+run+" from")
	v, err := b.solve(t, c, build{dir: dir, attrs: map[string]string{"target": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	if !v.cached(t, "pip install -r requirements.txt") || v.cached(t, "python -m unittest discover") {
		t.Error("a source edit re-ran pip, or did not re-run the tests")
	}
}

// A Starlette service with pinned requirements and `installer: uv`: uv's
// pip interface installs the requirements file into a virtualenv uv made
// (no pip in it), uv's cache stays on its cache mount, uvicorn serves the
// app; a source edit leaves the install cached, a new requirement re-runs
// it and the image imports the new package.
func TestPythonUVRequirements(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "python-uv-requirements")
	attrs := uvImageContext(b)
	img := b.images(t, c, build{dir: dir, attrs: attrs})[0]
	if cmd := img.Config.Config.Cmd; !slices.Equal(cmd, []string{"uvicorn", "main:app"}) {
		t.Errorf("cmd %q", cmd)
	}
	answers("UVICORN_HOST", "UVICORN_PORT", "hello from python-uv-requirements")(t, img)
	paths := layerPaths(t, img)
	const site = "app/.venv/lib/python3.13/site-packages/"
	uvCache, pip, starlette := holds(paths, "root/.cache/uv/"), holds(paths, site+"pip/"), holds(paths, site+"starlette/")
	if uvCache || pip || !starlette {
		t.Errorf("uv's cache in a layer %v, pip in the virtualenv %v, starlette there %v", uvCache, pip, starlette)
	}

	// pip's index arg, which uv does not read, reaches no step (uv's stays
	// cached) and is named with uv's own.
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	edit(t, filepath.Join(dir, "greet.py"), "hello from", "hi "+run+" from")
	v, err := b.solve(t, c, build{dir: dir, attrs: withAttrs(withAttrs(attrs, "target", "test"), "build-arg:PIP_INDEX_URL", "http://127.0.0.1:9/simple/")})
	if err != nil {
		t.Fatal(err)
	}
	if !v.cached(t, "uv pip install -r requirements.txt") || v.cached(t, "python -m unittest discover") {
		t.Error("a source edit with PIP_INDEX_URL set re-ran uv, or did not re-run the tests")
	}
	const unread = "build arg PIP_INDEX_URL is not used by Dockerfile (uv installs this app's dependencies and reads none of pip's settings: pass UV_DEFAULT_INDEX)"
	if !slices.Contains(v.warnings, unread) {
		t.Errorf("warnings %q lack %q", v.warnings, unread)
	}

	appendFile(t, filepath.Join(dir, "requirements.txt"), "six==1.17.0\n")
	edit(t, filepath.Join(dir, "greet.py"), "return ", "import six\n    return six.__name__ + ' ' + ")
	img = b.images(t, c, build{dir: dir, attrs: attrs})[0]
	answers("UVICORN_HOST", "UVICORN_PORT", "six hi "+run+" from python-uv-requirements")(t, img)
}

// uvImageContext redirects uv's image to the test bed's stand-in, as a
// platform team would with --build-context.
func uvImageContext(b bed) map[string]string {
	return map[string]string{"context:ghcr.io/astral-sh/uv:0.13.9": "docker-image://" + b.registry + "/astral-sh/uv:0.13.9"}
}

// withAttrs is attrs and one more.
func withAttrs(attrs map[string]string, k, v string) map[string]string {
	out := maps.Clone(attrs)
	out[k] = v
	return out
}

// A Flask app locked with uv: uv comes from its own image (redirected here
// with --build-context, as a platform team would), the locked dependencies
// install without the project, gunicorn serves it; --target test syncs the
// dev group and runs pytest. The lockfile is written at run time from the
// package index this machine uses.
func TestPythonUV(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "python-uv")
	attrs := lockUV(t, b, dir)
	img := b.images(t, c, build{dir: dir, attrs: attrs})[0]
	if cfg := img.Config.Config; !slices.Equal(cfg.Cmd, []string{"gunicorn", "app:app"}) || cfg.User != "65532:65532" {
		t.Errorf("cmd %q user %q", cfg.Cmd, cfg.User)
	}
	addr := freeAddr(t)
	_, port, _ := strings.Cut(addr, ":")
	ctr := runImage(t, img, "PORT="+port)
	if got := get(t, ctr, addr, "/"); !strings.Contains(got, "hello from python-uv") {
		t.Errorf("GET / = %q", got)
	}
	if got := get(t, ctr, addr, "/env"); !strings.Contains(got, "uid=65532 venv=/app/.venv") {
		t.Errorf("GET /env = %q", got)
	}
	if mentions(layerPaths(t, img), "site-packages/pytest/") {
		t.Error("the dev group (pytest) reached the runtime image")
	}

	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	app := filepath.Join(dir, "app.py")
	edit(t, app, "hello from", "hi "+run+" from")
	attrs["target"] = "test"
	v, err := b.solve(t, c, build{dir: dir, attrs: attrs})
	if err != nil {
		t.Fatal(err)
	}
	deps := "uv sync --locked --no-install-project --no-dev"
	if !v.cached(t, deps) || v.cached(t, "python -m pytest") {
		t.Error("a source edit re-ran the dependency sync, or did not re-run the tests")
	}

	// A new dependency (uv add keeps every other pin) re-runs the sync,
	// which takes the packages it had from uv's cache mount: uv says how
	// many it prepared (downloaded and unpacked), at most the new one (none
	// when an earlier run left six in the cache), and how many it installed
	// into the fresh virtualenv. The comment makes this lock's sync new to
	// a daemon that ran the test before.
	if out, err := command(t, dir, "uv", "add", "--no-sync", "six==1.17.0"); err != nil {
		t.Fatalf("uv add six: %v\n%s", err, out)
	}
	appendFile(t, filepath.Join(dir, "pyproject.toml"), "\n# "+run+"\n")
	delete(attrs, "target")
	v, err = b.solve(t, c, build{dir: dir, attrs: attrs})
	if err != nil {
		t.Fatal(err)
	}
	if v.cached(t, deps) {
		t.Fatal("a lockfile change left the dependency sync cached")
	}
	log := v.log(t, deps)
	prepared, installed := 0, 0 // uv prints no "Prepared" line when it prepared nothing
	var said []string
	if m := regexp.MustCompile(`Prepared (\d+) packages? in \S+`).FindStringSubmatch(log); m != nil {
		prepared, _ = strconv.Atoi(m[1])
		said = append(said, m[0])
	}
	if m := regexp.MustCompile(`Installed (\d+) packages? in \S+`).FindStringSubmatch(log); m != nil {
		installed, _ = strconv.Atoi(m[1])
		said = append(said, m[0])
	}
	t.Logf("after adding six, uv said %q", said)
	if prepared > 1 || installed < 2 || !strings.Contains(log, "+ six==1.17.0") {
		t.Errorf("uv fetched more than the new package, or did not install six beside the cached ones:\n%s", log)
	}
}

// appendFile adds text at the end of a file.
func appendFile(t testing.TB, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// lockUV writes uv.lock from the package index this machine uses and
// returns the attrs that redirect uv's image to the test bed's stand-in.
func lockUV(t testing.TB, b bed, dir string) map[string]string {
	t.Helper()
	if out, err := command(t, dir, "uv", "lock", "--quiet", "--upgrade"); err != nil {
		t.Fatalf("uv lock: %v\n%s", err, out)
	}
	return uvImageContext(b)
}

// lockPoetry writes poetry.lock from the index this machine's pip uses,
// through the index's simple API (the only one served here), and records
// that index as the project's primary source, so installs in the build use
// it too.
func lockPoetry(t testing.TB, dir string) {
	t.Helper()
	if out, err := command(t, dir, "poetry", "source", "add", "--priority=primary", "index", hostIndex(t)); err != nil {
		t.Fatalf("poetry source add: %v\n%s", err, out)
	}
	if out, err := command(t, dir, "poetry", "lock"); err != nil {
		t.Fatalf("poetry lock: %v\n%s", err, out)
	}
}

// hostIndex is the simple API of the package index this machine's pip uses.
func hostIndex(t testing.TB) string {
	t.Helper()
	index, err := command(t, "", "python3", "-c", "from pip._internal.models.index import PyPI; print(PyPI.simple_url)")
	if err != nil {
		t.Fatalf("the host's package index: %v\n%s", err, index)
	}
	return strings.TrimSpace(index)
}

// A Starlette app locked with poetry: poetry is installed in a cached step
// of its own, the locked main dependencies without the project, uvicorn
// serves it; --target test installs the dev group and runs pytest.
func TestPythonPoetry(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "python-poetry")
	lockPoetry(t, dir)
	img := b.images(t, c, build{dir: dir})[0]
	addr := freeAddr(t)
	host, port, _ := strings.Cut(addr, ":")
	ctr := runImage(t, img, "UVICORN_HOST="+host, "UVICORN_PORT="+port)
	if got := get(t, ctr, addr, "/"); !strings.Contains(got, "hello from python-poetry") {
		t.Errorf("GET / = %q", got)
	}
	if got := get(t, ctr, addr, "/env"); !strings.Contains(got, "uid=65532 venv=/app/.venv") {
		t.Errorf("GET /env = %q", got)
	}
	paths := layerPaths(t, img)
	if mentions(paths, "site-packages/pytest/") || holds(paths, "opt/poetry/") {
		t.Error("the dev group or poetry itself reached the runtime image")
	}
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	edit(t, filepath.Join(dir, "main.py"), "hello from", "hi "+run+" from")
	v, err := b.solve(t, c, build{dir: dir, attrs: map[string]string{"target": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	deps := "poetry install --only main --no-root"
	if !v.cached(t, deps) || v.cached(t, "python -m pytest") {
		t.Error("a source edit re-ran the dependency install, or did not re-run the tests")
	}

	// A new dependency (poetry add keeps every other pin) re-runs the
	// install, which takes the archives it had from poetry's cache mount.
	// poetry prints the same "Installing" line either way; at
	// SHELL_VERBOSITY=3 its HTTP client logs each request, so every
	// archive it fetched is in the log: at most six's (none when an earlier
	// run left six in the cache). The comment makes this install new to a
	// daemon that ran the test before.
	if out, err := command(t, dir, "poetry", "add", "--lock", "six==1.17.0"); err != nil {
		t.Fatalf("poetry add six: %v\n%s", err, out)
	}
	appendFile(t, filepath.Join(dir, "pyproject.toml"), "\n# "+run+"\n")
	v, err = b.solve(t, c, build{dir: dir, attrs: map[string]string{"build-arg:SHELL_VERBOSITY": "3"}})
	if err != nil {
		t.Fatal(err)
	}
	if v.cached(t, deps) {
		t.Fatal("a lockfile change left the dependency install cached")
	}
	log := v.log(t, deps)
	var fetched []string
	for _, m := range regexp.MustCompile(`"GET (/\S+) HTTP/[\d.]+" 200`).FindAllStringSubmatch(log, -1) {
		if !strings.HasPrefix(m[1], "/simple/") { // the index's pages, which poetry reads to find each archive's link
			fetched = append(fetched, path.Base(m[1]))
		}
	}
	t.Logf("after adding six, poetry downloaded %q", fetched)
	if !strings.Contains(log, "Installing six (1.17.0)") || !strings.Contains(log, "Installing starlette (") || !strings.Contains(log, `"GET /simple/starlette/`) {
		t.Errorf("poetry did not install six and starlette, or logged no requests:\n%s", log)
	}
	if slices.ContainsFunc(fetched, func(f string) bool { return !strings.HasPrefix(f, "six-1.17.0") }) {
		t.Errorf("poetry downloaded archives it had in its cache: %q", fetched)
	}
}

// A Django project: gunicorn serves its wsgi module, the static files are
// collected at build time into the image.
func TestPythonDjango(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	dir := b.example(t, "python-django")
	img := b.images(t, b.client(t), build{dir: dir})[0]
	if cfg := img.Config.Config; !slices.Equal(cfg.Cmd, []string{"gunicorn", "shop.wsgi"}) || !slices.Contains(cfg.Env, "DJANGO_SETTINGS_MODULE=shop.settings") {
		t.Errorf("cmd %q env %q", cfg.Cmd, cfg.Env)
	}
	addr := freeAddr(t)
	_, port, _ := strings.Cut(addr, ":")
	ctr := runImage(t, img, "PORT="+port)
	// psycopg loads libpq, which only run.packages puts in the image.
	if got := get(t, ctr, addr, "/"); !strings.Contains(got, "hello from python-django uid=65532, libpq 1") {
		t.Errorf("GET / = %q", got)
	}
	if !slices.ContainsFunc(layerPaths(t, img), func(p string) bool { return strings.HasSuffix(p, "/libpq.so.5") }) {
		t.Error("the runtime image has no libpq.so.5 (run.packages: [libpq5])")
	}
	if !holds(layerPaths(t, img), "app/staticfiles/admin/css/base.css") {
		t.Error("collectstatic did not run at build time")
	}
}

// A FastAPI package locked with pdm: pdm comes from a tool stage of its
// own, the locked production dependencies install without the project,
// then the project itself (non-editable) with the source; its script,
// from the virtualenv on PATH, serves the app. A source edit leaves the
// dependency install cached; a lockfile change re-runs it with pdm's
// cache warm. pdm.lock records no download hosts, so it is committed.
func TestPythonPDM(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "python-pdm")
	start := time.Now()
	img := b.images(t, c, build{dir: dir})[0]
	t.Logf("built in %s", time.Since(start).Round(time.Millisecond))
	if cfg := img.Config.Config; !slices.Equal(cfg.Cmd, []string{"python-pdm"}) || cfg.User != "65532:65532" {
		t.Errorf("cmd %q user %q", cfg.Cmd, cfg.User)
	}
	addr := freeAddr(t)
	host, port, _ := strings.Cut(addr, ":")
	ctr := runImage(t, img, "HOST="+host, "PORT="+port)
	if got := get(t, ctr, addr, "/"); !strings.Contains(got, `"hello from python-pdm"`) {
		t.Errorf("GET / = %q", got)
	}
	if got := get(t, ctr, addr, "/env"); !strings.Contains(got, `"uid":65532`) || !strings.Contains(got, `"prefix":"/app/.venv"`) {
		t.Errorf("GET /env = %q", got)
	}
	paths := layerPaths(t, img)
	site := "app/.venv/lib/python3.13/site-packages/"
	switch {
	case mentions(paths, "site-packages/pytest/") || holds(paths, "opt/pdm/"):
		t.Error("the dev group or pdm itself reached the runtime image")
	case !holds(paths, site+"python_pdm/") || holds(paths, "app/.pdm-build/"):
		t.Error("the project is not installed into the virtualenv, or pdm's build directory reached the image")
	case !holds(paths, site+"fastapi/__pycache__/") || !holds(paths, site+"python_pdm/__pycache__/"):
		t.Error("the virtualenv's bytecode was not compiled in the builder")
	}
	// pdm's parallel installs leave some files 0666; none may stay so, or
	// the runtime user could rewrite the app's dependencies.
	if w := writable(t, img, "app/"); len(w) > 0 {
		t.Errorf("%d files under /app are group or world writable, e.g. %q", len(w), w[0])
	}

	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	edit(t, filepath.Join(dir, "src", "python_pdm", "app.py"), "hello from", "hi "+run+" from")
	start = time.Now()
	v, err := b.solve(t, c, build{dir: dir, attrs: map[string]string{"target": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("--target test after a source edit in %s", time.Since(start).Round(time.Millisecond))
	deps := "] pdm install --check --prod --no-self"
	if !v.cached(t, deps) || v.cached(t, "[build 2/4] pdm install --check --prod") || v.cached(t, "python -m pytest") {
		t.Error("a source edit re-ran the dependency install, or did not re-install the project and re-run the tests")
	}

	// Any change to pdm.lock re-runs the install (a comment keeps the pins).
	// docopt is published as a source distribution only: pdm built its
	// wheel in the first build and now takes it from its cache mount. (The
	// index here sends no cache headers, so pdm's HTTP cache never answers
	// for the other downloads.)
	lock := filepath.Join(dir, "pdm.lock")
	edit(t, lock, "# It is not intended for manual editing.", "# It is not intended for manual editing. ("+run+")")
	start = time.Now()
	v, err = b.solve(t, c, build{dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rebuilt after a lockfile change in %s", time.Since(start).Round(time.Millisecond))
	if v.cached(t, deps) {
		t.Fatal("a lockfile change left the dependency install cached")
	}
	if log := v.log(t, deps); !regexp.MustCompile(`Using cached wheel: \S*/docopt-0\.6\.2-`).MatchString(log) {
		t.Errorf("pdm did not take docopt's wheel from its cache:\n%s", log)
	}
}

// A uv workspace whose app is one member (python.package: api) using
// another (the greeting library): the dependency sync sees only the
// pyproject.toml files and uv.lock and installs no member; the app's
// sync installs the library non-editable with the source; gunicorn serves
// the member's app. An edit to the library leaves the dependency sync
// cached. uv.lock is written at run time, as for python-uv.
func TestPythonUVWorkspace(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "python-uv-workspace")
	attrs := lockUV(t, b, dir)
	img := b.images(t, c, build{dir: dir, attrs: attrs})[0]
	if cfg := img.Config.Config; !slices.Equal(cfg.Cmd, []string{"gunicorn", "--chdir", "packages/api", "app:app"}) || cfg.User != "65532:65532" {
		t.Errorf("cmd %q user %q", cfg.Cmd, cfg.User)
	}
	addr := freeAddr(t)
	_, port, _ := strings.Cut(addr, ":")
	ctr := runImage(t, img, "PORT="+port)
	if got := get(t, ctr, addr, "/"); !strings.Contains(got, "hello from python-uv-workspace") {
		t.Errorf("GET / = %q", got)
	}
	if got := get(t, ctr, addr, "/env"); !strings.Contains(got, "uid=65532 venv=/app/.venv") {
		t.Errorf("GET /env = %q", got)
	}
	paths := layerPaths(t, img)
	if !holds(paths, "app/.venv/lib/python3.13/site-packages/greeting/__init__.py") || mentions(paths, "site-packages/pytest/") {
		t.Error("the library member is not installed into the virtualenv, or the dev group reached the image")
	}

	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	edit(t, filepath.Join(dir, "packages", "greeting", "src", "greeting", "__init__.py"), `"hello from " + name`, `"hello from " + name + " `+run+`"`)
	attrs["target"] = "test"
	v, err := b.solve(t, c, build{dir: dir, attrs: attrs})
	if err != nil {
		t.Fatal(err)
	}
	if !v.cached(t, "uv sync --frozen --no-install-workspace --no-dev --package api") || v.cached(t, "uv sync --locked --no-dev --no-editable --package api") || v.cached(t, "python -m pytest") {
		t.Error("a library edit re-ran the dependency sync, or did not re-install the members and re-run the tests")
	}
}

// The Python examples of this file in the eject-equivalence test (kept
// here so that test's tables stay as they are).
func init() {
	prepares["python-uv-workspace"] = lockUV
	servers["python-pdm"] = answers("HOST", "PORT", "hello from python-pdm")
	servers["python-uv-workspace"] = answers("", "PORT", "hello from python-uv-workspace")
}

// writable lists the files and directories under prefix in the image's
// layers that are group or world writable (symlinks aside).
func writable(t testing.TB, img imagerun.Image, prefix string) []string {
	t.Helper()
	var out []string
	err := img.Entries(func(h *tar.Header, _ io.Reader) error {
		if strings.HasPrefix(h.Name, prefix) && h.Typeflag != tar.TypeSymlink && h.Mode&0o022 != 0 {
			out = append(out, h.Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A Flask app with a C extension built from source: gunicorn serves
// app:app (both detected), psycopg2 (no Linux wheel) is compiled in the
// builder against libpq-dev from build.packages, and the runtime image holds
// the compiled module and libpq5 from run.packages but no compiler or
// headers. A source edit leaves the install, compile included, cached.
func TestPythonFlask(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "python-flask")
	start := time.Now()
	img := b.images(t, c, build{dir: dir})[0]
	t.Logf("build: %s", time.Since(start).Round(time.Millisecond))
	if cfg := img.Config.Config; !slices.Equal(cfg.Cmd, []string{"gunicorn", "app:app"}) || cfg.User != "65532:65532" {
		t.Errorf("cmd %q user %q", cfg.Cmd, cfg.User)
	}
	addr := freeAddr(t)
	_, port, _ := strings.Cut(addr, ":")
	ctr := runImage(t, img, "PORT="+port)
	if got := get(t, ctr, addr, "/"); !strings.Contains(got, "hello from python-flask, libpq 1") {
		t.Errorf("GET / = %q", got)
	}
	if got := get(t, ctr, addr, "/env"); !strings.Contains(got, "uid=65532 venv=/app/.venv") {
		t.Errorf("GET /env = %q", got)
	}
	paths := layerPaths(t, img)
	compiled := slices.ContainsFunc(paths, func(p string) bool {
		return strings.HasPrefix(p, "app/.venv/lib/") && strings.Contains(p, "/site-packages/psycopg2/_psycopg.cpython-") && strings.HasSuffix(p, ".so")
	})
	libpq := slices.ContainsFunc(paths, func(p string) bool { return strings.Contains(p, "/libpq.so.5") })
	if !compiled || !libpq {
		t.Errorf("the compiled psycopg2 module is in the runtime image: %v; libpq.so.5: %v", compiled, libpq)
	}
	for _, p := range paths {
		if strings.HasSuffix(p, "bin/gcc") || strings.Contains(p, "-linux-gnu-gcc") || strings.HasPrefix(p, "usr/include/postgresql/") || strings.HasSuffix(p, "/Python.h") || strings.HasSuffix(p, "bin/pg_config") {
			t.Errorf("a compiler, headers or pg_config reached the runtime image: %s", p)
		}
	}

	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	edit(t, filepath.Join(dir, "greet.py"), "hello from", "hi "+run+" from")
	start = time.Now()
	v, err := b.solve(t, c, build{dir: dir, attrs: map[string]string{"target": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("--target test after a source edit: %s", time.Since(start).Round(time.Millisecond))
	deps := "pip install -r requirements.txt"
	if !v.cached(t, deps) || !v.cached(t, "apt-get install libpq-dev") || v.cached(t, "python -m unittest discover") {
		t.Error("a source edit re-ran the install or apt, or did not re-run the tests")
	}

	// A requirements change (a comment: new to a daemon that ran the test
	// before) re-runs the install, and psycopg2, compiled in the first
	// build, comes from pip's wheel cache on the cache mount: pip says
	// "Using cached <the built wheel>" and builds nothing. (The index here
	// sends no cache headers, so the other wheels are downloaded again.)
	edit(t, filepath.Join(dir, "requirements.txt"), "psycopg2==2.9.13\n", "psycopg2==2.9.13\n# "+run+"\n")
	start = time.Now()
	v, err = b.solve(t, c, build{dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rebuilt after a requirements change: %s", time.Since(start).Round(time.Millisecond))
	if v.cached(t, deps) {
		t.Fatal("a requirements change left the install cached")
	}
	log := v.log(t, deps)
	cached := regexp.MustCompile(`Using cached psycopg2-2\.9\.13-cp\d+-cp\d+-linux_\w+\.whl`).FindString(log)
	t.Logf("pip: %q", cached)
	if cached == "" || strings.Contains(log, "Building wheel for psycopg2") {
		t.Errorf("pip did not take psycopg2's built wheel from its cache:\n%s", log)
	}

	// The builder has libpq's headers already, as the official image (on
	// buildpack-deps) does: without build.packages psycopg2 compiles too,
	// which is why PythonSystemLibraryMissing asks only for the runtime side.
	desc := "# syntax=localhost:5000/strata:dev\nrun:\n  packages: [libpq5]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(desc), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := b.solve(t, c, build{dir: dir}); err != nil {
		t.Errorf("psycopg2 without libpq-dev in build.packages: %v", err)
	}
}
