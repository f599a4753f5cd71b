//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/strata-build/strata/internal/imagerun"
)

// greetingWheel is the private distribution: on the test's index only.
var greetingWheel = wheel{name: "strata-private-greeting", version: "0.1.0", files: map[string]string{
	"strata_private_greeting/__init__.py": "def greet():\n    return 'hello from the private index'\n",
}}

// A private PEP 503 index that wants basic auth for every request: an app
// that needs one package from it and one from the public index builds with
// the credentials in the index URL (--build-arg PIP_EXTRA_INDEX_URL) or in
// a netrc secret, and fails, naming the package, without them. The password
// is in no layer, image config, history entry or local cache export, of
// Strata's images nor of the image the ejected Dockerfile builds.
func TestPythonPrivateIndex(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	pass := "s3cret-" + run // unique, so a find is this run's
	ix := startPrivateIndex(t, "strata", pass, greetingWheel)
	dir := t.TempDir()
	for name, content := range map[string]string{
		"Dockerfile": "# syntax=localhost:5000/strata:dev\n",
		// The run's tag keeps the install step's key unique: the daemon's
		// state outlives a test run, and no secret is part of a step's key,
		// so the pip.conf build below would be a cache hit of an earlier run.
		"requirements.txt": "strata-private-greeting==0.1.0\nsix==1.17.0\n# run " + run + "\n",
		"main.py":          "import six\nimport strata_private_greeting\n\nprint(strata_private_greeting.greet(), 'with six', six.__version__)\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const want = "hello from the private index with six 1.17.0"
	const install = "pip install -r requirements.txt"
	bareURL := map[string]string{"build-arg:PIP_EXTRA_INDEX_URL": ix.url}

	// Without credentials: the index refuses, pip names what it could not find.
	v, err := b.solve(t, c, build{dir: dir, attrs: bareURL})
	authorised, refused := ix.seen()
	if err == nil {
		t.Fatal("the build passed without credentials")
	}
	if log := v.log(t, install); !strings.Contains(log, "No matching distribution found for strata-private-greeting==0.1.0") {
		t.Errorf("pip's log without credentials:\n%s", log)
	}
	if len(authorised) != 0 || !slices.Contains(refused, "/simple/strata-private-greeting/") {
		t.Errorf("without credentials the index served %q and refused %q", authorised, refused)
	}

	// Credentials in the index URL, a build arg.
	withURL := map[string]string{"build-arg:PIP_EXTRA_INDEX_URL": ix.withCredentials()}
	img, tarPath, cache := b.exportedBuild(t, c, build{dir: dir, attrs: withURL})
	checkPrivateInstall(t, ix, img, want)
	// BuildKit records every build arg in the provenance attestation: the
	// credentials of an index URL given as one are there (and only there).
	onlyInProvenance(t, tarPath, pass)
	noSecret(t, pass, cache)
	// The builder image holds the install step in its history, by name.
	bimg, btar, _ := b.exportedBuild(t, c, build{dir: dir, attrs: map[string]string{"build-arg:PIP_EXTRA_INDEX_URL": ix.withCredentials(), "target": "build"}})
	if !slices.ContainsFunc(bimg.Config.History, func(h ocispecs.History) bool { return h.CreatedBy == "RUN "+install+" # strata" }) {
		t.Errorf("the builder's history has no entry for %q: %+v", install, bimg.Config.History)
	}
	onlyInProvenance(t, btar, pass)

	// Credentials in a netrc secret, the index URL bare.
	netrc := []session.Attachable{secretsprovider.FromMap(map[string][]byte{
		"netrc": []byte("machine " + ix.host + " login strata password " + pass + "\n"),
	})}
	img, tarPath, cache = b.exportedBuild(t, c, build{dir: dir, attrs: bareURL, session: netrc})
	checkPrivateInstall(t, ix, img, want)
	noSecret(t, pass, tarPath, cache)

	// Credentials in a pip.conf secret (--secret id=pipconf), no arg given.
	// With a wrong password first: pip fails in the install and prints
	// neither password.
	pipconf := func(p string) []session.Attachable {
		return []session.Attachable{secretsprovider.FromMap(map[string][]byte{
			"pipconf": []byte("[global]\nextra-index-url = " + strings.Replace(ix.url, "http://", "http://strata:"+p+"@", 1) + "\n"),
		})}
	}
	wrong := "wr0ng-" + run
	v, err = b.solve(t, c, build{dir: dir, session: pipconf(wrong)})
	if _, refused := ix.seen(); !slices.Contains(refused, "/simple/strata-private-greeting/") {
		t.Errorf("with a wrong password in pip.conf the index refused %q", refused)
	}
	failedWithout(t, v, err, install, wrong, pass)
	img, tarPath, cache = b.exportedBuild(t, c, build{dir: dir, session: pipconf(pass)})
	checkPrivateInstall(t, ix, img, want)
	noSecret(t, pass, tarPath, cache)

	// The ejected Dockerfile takes the same build arg; its ARG has no default.
	ej := b.ejected(t, dir, withURL)
	df, err := os.ReadFile(filepath.Join(ej.dfDir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(df)) {
		if strings.Contains(line, "PIP_EXTRA_INDEX_URL") && !strings.HasPrefix(line, "#") && (!strings.HasPrefix(line, "ARG ") || strings.Contains(line, "=")) {
			t.Errorf("the ejected Dockerfile names PIP_EXTRA_INDEX_URL outside an ARG without a default: %q", line)
		}
	}
	img, tarPath, cache = b.exportedBuild(t, c, ej)
	checkPrivateInstall(t, ix, img, want)
	onlyInProvenance(t, tarPath, pass)
	noSecret(t, pass, cache)
}

// checkPrivateInstall: the image runs the app with the private package,
// which the index served to authorised requests (it serves no other: a
// client that tries without credentials first is refused, then retries).
func checkPrivateInstall(t *testing.T, ix *privateIndex, img imagerun.Image, want string) {
	t.Helper()
	if got := runToExit(t, img); !strings.Contains(got, want) {
		t.Errorf("the image printed %q, want %q", got, want)
	}
	authorised, refused := ix.seen()
	t.Logf("the index served %q and refused %q", authorised, refused)
	if !slices.ContainsFunc(authorised, func(p string) bool {
		return p == "/simple/strata-private-greeting/" || strings.HasPrefix(p, "/files/strata_private_greeting-")
	}) {
		t.Errorf("the index served no request for the private package: served %q, refused %q", authorised, refused)
	}
}

// noSecret fails for every place under paths that holds the secret. The
// private package's code is in each (its layer), so the search is shown
// to look inside layers.
func noSecret(t *testing.T, secret string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if found := secretIn(t, p, secret); len(found) > 0 {
			t.Errorf("the password is in %s: %q", p, found)
		}
		if len(secretIn(t, p, "hello from the private index")) == 0 {
			t.Errorf("the search found not even the private package's code in %s", p)
		}
	}
}

// uv with a named private index: uv.lock (written at run time on the host,
// with the credentials in the environment) records the index without
// them; in the build, uv reads them from UV_INDEX_PRIVATE_USERNAME and
// _PASSWORD, which build.secrets makes environment variables of the install
// steps. The password is in no layer, config, history or cache export.
// Not parallel: the host's uv locks with credentials from the process
// environment (t.Setenv).
func TestPythonPrivateIndexUV(t *testing.T) {
	b := testBed(t)
	c := b.client(t)
	pass := "s3cret-uv-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	ix := startPrivateIndex(t, "strata", pass, greetingWheel)
	dir := t.TempDir()
	for name, content := range map[string]string{
		"Dockerfile": `# syntax=localhost:5000/strata:dev
build:
  secrets:
    - {id: uv_index_user, env: UV_INDEX_PRIVATE_USERNAME, required: true}
    - {id: uv_index_password, env: UV_INDEX_PRIVATE_PASSWORD, required: true}
`,
		"pyproject.toml": `[project]
name = "private-uv"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["strata-private-greeting==0.1.0", "six==1.17.0"]

[[tool.uv.index]]
name = "private"
url = "` + ix.url + `"
explicit = true

[tool.uv.sources]
strata-private-greeting = { index = "private" }
`,
		"main.py": "import six\nimport strata_private_greeting\n\nprint(strata_private_greeting.greet(), 'with six', six.__version__)\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("UV_INDEX_PRIVATE_USERNAME", "strata")
	t.Setenv("UV_INDEX_PRIVATE_PASSWORD", pass)
	attrs := lockUV(t, b, dir)
	ix.seen()
	if lock, err := os.ReadFile(filepath.Join(dir, "uv.lock")); err != nil || strings.Contains(string(lock), pass) {
		t.Fatalf("uv.lock holds the password, or is missing: %v", err)
	}
	secrets := []session.Attachable{secretsprovider.FromMap(map[string][]byte{"uv_index_user": []byte("strata"), "uv_index_password": []byte(pass)})}
	img, tarPath, cache := b.exportedBuild(t, c, build{dir: dir, attrs: attrs, session: secrets})
	checkPrivateInstall(t, ix, img, "hello from the private index with six 1.17.0")
	noSecret(t, pass, tarPath, cache)
}

// privateApp writes an app that needs the private package and one from the
// public index, with the description and project file given.
func privateApp(t *testing.T, desc, pyproject string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"Dockerfile":     desc,
		"pyproject.toml": pyproject,
		"main.py":        "import six\nimport strata_private_greeting\n\nprint(strata_private_greeting.greet(), 'with six', six.__version__)\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// refusedWithout builds without credentials: the build fails, and the
// index refused the private package's page and served nothing.
func refusedWithout(t *testing.T, b bed, c *client.Client, ix *privateIndex, bu build) {
	t.Helper()
	_, err := b.solve(t, c, bu)
	authorised, refused := ix.seen()
	if err == nil {
		t.Fatal("the build passed without credentials")
	}
	if len(authorised) != 0 || !slices.Contains(refused, "/simple/strata-private-greeting/") {
		t.Errorf("without credentials the index served %q and refused %q", authorised, refused)
	}
}

// poetry with the private index as an explicit source in pyproject.toml,
// the private package pinned to it: poetry.lock (written at run time on
// the host, with the credentials in the environment) records the source
// without them; in the build, poetry reads them from
// POETRY_HTTP_BASIC_PRIVATE_USERNAME and _PASSWORD, which build.secrets
// makes environment variables of the install steps, or from the netrc
// secret. The password is in no layer, config, history or cache export.
// Not parallel: the host's poetry locks with credentials from the process
// environment (t.Setenv).
func TestPythonPrivateIndexPoetry(t *testing.T) {
	b := testBed(t)
	c := b.client(t)
	pass := "s3cret-poetry-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	ix := startPrivateIndex(t, "strata", pass, greetingWheel)
	dir := privateApp(t, `# syntax=localhost:5000/strata:dev
build:
  secrets:
    - {id: poetry_user, env: POETRY_HTTP_BASIC_PRIVATE_USERNAME}
    - {id: poetry_password, env: POETRY_HTTP_BASIC_PRIVATE_PASSWORD}
`, `[project]
name = "private-poetry"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["strata-private-greeting==0.1.0", "six==1.17.0"]

[tool.poetry]
package-mode = false

[tool.poetry.dependencies]
strata-private-greeting = { source = "private" }

[[tool.poetry.source]]
name = "private"
url = "`+ix.url+`"
priority = "explicit"
`)
	t.Setenv("POETRY_HTTP_BASIC_PRIVATE_USERNAME", "strata")
	t.Setenv("POETRY_HTTP_BASIC_PRIVATE_PASSWORD", pass)
	// poetry caches a source's release details (file hashes included) by
	// the source's name, and this index is new on each run: the host's
	// poetry locks with a cache of its own.
	t.Setenv("POETRY_CACHE_DIR", t.TempDir())
	lockPoetry(t, dir)
	ix.seen()
	if lock, err := os.ReadFile(filepath.Join(dir, "poetry.lock")); err != nil || strings.Contains(string(lock), pass) || !strings.Contains(string(lock), ix.url[:len(ix.url)-1]) {
		t.Fatalf("poetry.lock holds the password, does not name the private source, or is missing: %v", err)
	}
	const want = "hello from the private index with six 1.17.0"

	refusedWithout(t, b, c, ix, build{dir: dir})

	// The credentials as secret environment variables.
	secrets := []session.Attachable{secretsprovider.FromMap(map[string][]byte{"poetry_user": []byte("strata"), "poetry_password": []byte(pass)})}
	img, tarPath, cache := b.exportedBuild(t, c, build{dir: dir, session: secrets})
	checkPrivateInstall(t, ix, img, want)
	noSecret(t, pass, tarPath, cache)

	// The credentials in the netrc secret, from a description that declares
	// no secret variables (which also makes the install a new step: a
	// secret's value is no part of a step's cache key).
	plainDescription(t, dir)
	img, tarPath, cache = b.exportedBuild(t, c, build{dir: dir, session: netrcSecret(ix)})
	checkPrivateInstall(t, ix, img, want)
	noSecret(t, pass, tarPath, cache)
}

// pdm with the private index as its pypi source (--build-arg
// PDM_PYPI_URL, bare) and the public index as a second source in
// pyproject.toml: pdm.lock (written at run time on the host) records
// neither; in the build, pdm reads the credentials from PDM_PYPI_USERNAME
// and PDM_PYPI_PASSWORD, which build.secrets makes environment variables
// of the install steps, or from the netrc secret. The password is in no
// layer, config, history or cache export.
// Not parallel: the host's pdm locks with credentials from the process
// environment (t.Setenv).
func TestPythonPrivateIndexPDM(t *testing.T) {
	b := testBed(t)
	c := b.client(t)
	pass := "s3cret-pdm-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	ix := startPrivateIndex(t, "strata", pass, greetingWheel)
	dir := privateApp(t, `# syntax=localhost:5000/strata:dev
build:
  secrets:
    - {id: pdm_user, env: PDM_PYPI_USERNAME}
    - {id: pdm_password, env: PDM_PYPI_PASSWORD}
`, `[project]
name = "private-pdm"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["strata-private-greeting==0.1.0", "six==1.17.0"]

[tool.pdm]
distribution = false

[[tool.pdm.source]]
name = "public"
url = "`+hostIndex(t)+`"
`)
	t.Setenv("PDM_PYPI_URL", ix.url)
	t.Setenv("PDM_PYPI_USERNAME", "strata")
	t.Setenv("PDM_PYPI_PASSWORD", pass)
	t.Setenv("PDM_CHECK_UPDATE", "false")
	t.Setenv("PDM_CACHE_DIR", t.TempDir()) // the index is new on each run
	if out, err := command(t, dir, "pdm", "lock"); err != nil {
		t.Fatalf("pdm lock: %v\n%s", err, out)
	}
	// pdm lock made a virtualenv for the project on the host: not the build's.
	for _, f := range []string{".venv", ".pdm-python"} {
		if err := os.RemoveAll(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	if _, refused := ix.seen(); len(refused) != 0 {
		t.Fatalf("the index refused pdm lock's requests %q", refused)
	}
	if lock, err := os.ReadFile(filepath.Join(dir, "pdm.lock")); err != nil || strings.Contains(string(lock), pass) || !strings.Contains(string(lock), `name = "strata-private-greeting"`) {
		t.Fatalf("pdm.lock holds the password, does not pin the private package, or is missing: %v", err)
	}
	const want = "hello from the private index with six 1.17.0"
	bareURL := map[string]string{"build-arg:PDM_PYPI_URL": ix.url}

	refusedWithout(t, b, c, ix, build{dir: dir, attrs: bareURL})

	// The credentials as secret environment variables.
	secrets := []session.Attachable{secretsprovider.FromMap(map[string][]byte{"pdm_user": []byte("strata"), "pdm_password": []byte(pass)})}
	img, tarPath, cache := b.exportedBuild(t, c, build{dir: dir, attrs: bareURL, session: secrets})
	checkPrivateInstall(t, ix, img, want)
	noSecret(t, pass, tarPath, cache)

	// The credentials in the netrc secret, from a description that declares
	// no secret variables (a new install step, as for poetry).
	plainDescription(t, dir)
	img, tarPath, cache = b.exportedBuild(t, c, build{dir: dir, attrs: bareURL, session: netrcSecret(ix)})
	checkPrivateInstall(t, ix, img, want)
	noSecret(t, pass, tarPath, cache)
}

// netrcSecret is the netrc secret with the index's credentials.
func netrcSecret(ix *privateIndex) []session.Attachable {
	return []session.Attachable{secretsprovider.FromMap(map[string][]byte{
		"netrc": []byte("machine " + ix.host + " login " + ix.user + " password " + ix.pass + "\n"),
	})}
}

// plainDescription leaves only the syntax line in the app's description.
func plainDescription(t *testing.T, dir string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("# syntax=localhost:5000/strata:dev\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
