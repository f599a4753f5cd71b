//go:build integration

package integration

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	lintpb "github.com/moby/buildkit/frontend/subrequests/lint"
)

// strataImage is the frontend image the lint tests name in `# syntax=`:
// STRATA_IMAGE, so a branch's image can be tried on the shared test bed.
func strataImage() string {
	if img := os.Getenv("STRATA_IMAGE"); img != "" {
		return img
	}
	return "localhost:5000/strata:dev"
}

// lintApp is the go-service example with desc as its description (after
// the syntax line) and the given files written, or removed when "".
func lintApp(t *testing.T, b bed, desc string, files map[string]string) string {
	t.Helper()
	dir := b.example(t, "go-service")
	files["Dockerfile"] = "# syntax=" + strataImage() + "\n" + desc
	for name, data := range files {
		p := filepath.Join(dir, name)
		if data == "" {
			if err := os.RemoveAll(p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// buildx runs docker buildx build and returns its output and exit status.
func buildx(t *testing.T, dir string, args ...string) (string, int) {
	t.Helper()
	return withStatus(t, dir, "docker", append([]string{"buildx", "build"}, append(args, ".")...)...)
}

// withStatus runs a command and returns its output and exit status.
func withStatus(t *testing.T, dir, name string, args ...string) (string, int) {
	t.Helper()
	out, err := command(t, dir, name, args...)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out, 0
	case errors.As(err, &exit):
		return out, exit.ExitCode()
	}
	t.Fatalf("%s: %v", name, err)
	return "", 0
}

// A description with findings: the service built from a copy that lost
// its .dockerignore and go.sum, with a secret-looking arg and env, an
// unused arg and an unpinned base. Line numbers count the syntax line.
const findingsDesc = `app: go
go:
  main: ./cmd/api
  ldflags: -X main.version=${VERSION}
args:
  VERSION: dev
  NPM_TOKEN: ""
  UNUSED: x
run:
  base: gcr.io/distroless/static-debian12
  cmd: ["serve", "--token=${NPM_TOKEN}"]
  env: {GIN_MODE: release, API_KEY: abc}
`

// --call=check through the frontend image: every rule at its line, the
// rule's URL, and exit status 1, as for a Dockerfile.
func TestCallCheckReportsFindings(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	dir := lintApp(t, b, findingsDesc, map[string]string{".dockerignore": "", "go.sum": "", ".git/HEAD": "ref: refs/heads/main\n"})
	out, status := buildx(t, dir, "--call=check")
	if status != 1 {
		t.Errorf("--call=check exited %d, want 1:\n%s", status, out)
	}
	for _, want := range []string{
		"Check complete, 6 warnings have been found!",
		"WARNING: SecretInArgOrEnv - https://github.com/strata-build/strata/blob/main/docs/rules/secret-in-arg-or-env.md",
		"Dockerfile:8\n", ">>>   NPM_TOKEN: \"\"",
		"WARNING: UnusedArg", "arg UNUSED is declared but nothing in the build uses it", ">>>   UNUSED: x",
		"WARNING: BaseImageUnpinned", ">>>   base: gcr.io/distroless/static-debian12",
		"run.env.API_KEY looks like a secret",
		"WARNING: DockerignoreMissing", "the build context has .git but no .dockerignore",
		"WARNING: GoSumMissing", "go.sum is missing, and go.mod requires 1 module", "(go.mod line 5)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--call=check output lacks %q:\n%s", want, out)
		}
	}

	// the JSON form has the rule, URL and line of each
	out, status = buildx(t, dir, "--call=check,format=json")
	start := strings.Index(out, "{")
	var res lintpb.LintResults
	if start < 0 || json.NewDecoder(strings.NewReader(out[start:])).Decode(&res) != nil {
		t.Fatalf("no JSON result (status %d):\n%s", status, out)
	}
	var got []string
	for _, w := range res.Warnings {
		line := 0
		if len(w.Location.Ranges) > 0 {
			line = int(w.Location.Ranges[0].Start.Line)
		}
		got = append(got, w.RuleName+":"+strconv.Itoa(line))
		if !strings.HasSuffix(w.URL, ".md") || w.Description == "" {
			t.Errorf("warning %+v lacks its URL or description", w)
		}
	}
	want := []string{"DockerignoreMissing:0", "SecretInArgOrEnv:8", "UnusedArg:9", "BaseImageUnpinned:11", "SecretInArgOrEnv:13", "GoSumMissing:0"}
	if !slices.Equal(got, want) {
		t.Errorf("warnings %q, want %q", got, want)
	}
	if status != 1 || res.Error != nil || len(res.Sources) != 1 || res.Sources[0].Filename != "Dockerfile" {
		t.Errorf("status %d, error %+v, sources %d", status, res.Error, len(res.Sources))
	}

	// the check directive skips rules; BUILDKIT_DOCKERFILE_CHECK overrides it
	skip := lintApp(t, b, "# check=skip=UnusedArg,GoSumMissing,DockerignoreMissing\n"+findingsDesc, map[string]string{".dockerignore": "", "go.sum": "", ".git/HEAD": "x\n"})
	out, _ = buildx(t, skip, "--call=check")
	if !strings.Contains(out, "Check complete, 3 warnings have been found!") || strings.Contains(out, "UnusedArg") {
		t.Errorf("with skip=…:\n%s", out)
	}
	out, _ = buildx(t, skip, "--call=check", "--build-arg", "BUILDKIT_DOCKERFILE_CHECK=skip=all")
	if !strings.Contains(out, "Check complete, no warnings found.") {
		t.Errorf("with BUILDKIT_DOCKERFILE_CHECK=skip=all:\n%s", out)
	}
}

// The example as shipped has nothing to report: exit status 0.
func TestCallCheckCleanDescription(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	dir := lintApp(t, b, "app: go\ngo:\n  main: ./cmd/api\n  ldflags: -X main.version=${VERSION}\nargs:\n  VERSION: dev\nrun:\n  cmd: [serve]\n", map[string]string{})
	out, status := buildx(t, dir, "--call=check")
	if status != 0 || !strings.Contains(out, "Check complete, no warnings found.") {
		t.Errorf("status %d:\n%s", status, out)
	}
	// describe lists lint with outline and targets
	out, status = buildx(t, dir, "--call=subrequests.describe")
	if status != 0 || !strings.Contains(out, "lint") || !strings.Contains(out, "outline") {
		t.Errorf("describe (status %d):\n%s", status, out)
	}
}

// A description Strata cannot plan is the check's error, shown at its
// line after the finding of its rule.
func TestCallCheckPlanningError(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	dir := lintApp(t, b, "go:\n  main: ./cmd/api\n  version: \"1.25\"\n", map[string]string{})
	out, status := buildx(t, dir, "--call=check")
	if status == 0 {
		t.Errorf("a go.version too old passed the check:\n%s", out)
	}
	for _, want := range []string{"WARNING: GoVersionTooOld", "go.version: go 1.25 is older than go 1.26", ">>>   version: \"1.25\""} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// A build shows the findings as warnings with their lines, and fails on
// them with error=true.
func TestBuildWarnsWithFindings(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	desc := "app: go\ngo:\n  main: ./cmd/api\nargs:\n  VERSION: dev\nrun:\n  base: gcr.io/distroless/static-debian12\n  cmd: [serve]\n"
	dir := lintApp(t, b, desc, map[string]string{})
	r, err := b.solve(t, b.client(t), build{dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"UnusedArg: arg VERSION is declared but nothing in the build uses it (use it as ${VERSION} or remove it) (line 6)",
		"BaseImageUnpinned: run.base: image gcr.io/distroless/static-debian12 has no tag, so two builds may start from different images (name a tag such as gcr.io/distroless/static-debian12:<version>, or a digest) (line 8)",
	} {
		if !slices.Contains(r.warnings, want) {
			t.Errorf("warnings %q lack %q", r.warnings, want)
		}
	}
	// as buildx prints them: the rule's description, URL and the line
	out, status := withStatus(t, dir, "docker", "--debug", "buildx", "build", ".")
	for _, want := range []string{"More info: https://github.com/strata-build/strata/blob/main/docs/rules/unused-arg.md", "Dockerfile:6\n", ">>>   VERSION: dev"} {
		if status != 0 || !strings.Contains(out, want) {
			t.Errorf("buildx output (status %d) lacks %q:\n%s", status, want, out)
		}
	}

	// error=true fails the build with the findings in the error
	dir = lintApp(t, b, "# check=error=true\n"+desc, map[string]string{})
	_, err = b.solve(t, b.client(t), build{dir: dir})
	if err == nil || !strings.Contains(err.Error(), "lint violation found for rules: UnusedArg, BaseImageUnpinned") ||
		!strings.Contains(err.Error(), "Dockerfile:7: UnusedArg: arg VERSION") {
		t.Errorf("error=true: %v", err)
	}
}

// DockerignoreMissing sees a large .git and node_modules without their
// contents: detection still transfers next to nothing.
func TestDockerignoreMissingTransfersNoContents(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	dir := lintApp(t, b, "app: go\ngo:\n  main: ./cmd/api\n  ldflags: -X main.version=${VERSION}\nargs:\n  VERSION: dev\nrun:\n  cmd: [serve]\n", map[string]string{".dockerignore": ""})
	const big = 32 << 20
	for _, p := range []string{".git/objects/pack/big.pack", "node_modules/blob/big.bin"} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, bytes.Repeat([]byte{'x'}, big), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := b.solve(t, b.client(t), build{dir: dir, attrs: map[string]string{"target": "build"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "DockerignoreMissing: the build context has .git and node_modules but no .dockerignore: steps that read the whole context are sent them (add a .dockerignore that lists .git and node_modules)"
	if !slices.Contains(r.warnings, want) {
		t.Errorf("warnings %q lack %q", r.warnings, want)
	}
	detect := r.transferred["[internal] load files for detection"]
	if detect == 0 || detect > 64<<10 {
		t.Errorf("detection transferred %d bytes", detect)
	}
	t.Logf("detection transferred %d bytes with %d MB in .git and node_modules", detect, 2*big>>20)
}

// The Python rules through the frontend image: PIP_NO_CACHE_DIR at its
// line, and psycopg2 without libpq5 at the requirement's line.
func TestCallCheckPythonRules(t *testing.T) {
	t.Parallel()
	testBed(t)
	dir := t.TempDir()
	for name, data := range map[string]string{
		"Dockerfile":       "# syntax=" + strataImage() + "\nrun:\n  env:\n    PIP_NO_CACHE_DIR: \"off\"\n",
		"requirements.txt": "flask==3.1.3\npsycopg2==2.9.13\n",
		"main.py":          "print('hello')\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, status := buildx(t, dir, "--call=check")
	if status != 1 {
		t.Errorf("--call=check exited %d, want 1:\n%s", status, out)
	}
	for _, want := range []string{
		"Check complete, 2 warnings have been found!",
		"WARNING: PipNoCacheDir - https://github.com/strata-build/strata/blob/main/docs/rules/pip-no-cache-dir.md",
		">>>     PIP_NO_CACHE_DIR: \"off\"",
		"WARNING: PythonSystemLibraryMissing", "psycopg2 loads the shared library of Debian's libpq5", "(requirements.txt line 2)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--call=check output lacks %q:\n%s", want, out)
		}
	}
}
