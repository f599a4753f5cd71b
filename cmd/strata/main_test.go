package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestPlanPrintsSettingsAndSteps(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"plan", "../../examples/go-service"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"main package  ./cmd/api  (Dockerfile line 4)",
		"go version    1.26  (go.mod line 3",
		"run go mod download",
		"copy context[go.mod go.sum] / -> /src",
		"mount cache /go/pkg/mod (id strata/go/mod)",
		"mount cache /root/.cache/go-build (id strata/go/build)",
		"env GOARCH=${TARGETARCH}",
		"copy context[migrations] migrations -> /app/migrations (own layer, --link)",
		"runtime (default)",
		"user 65532:65532",
		"entrypoint /app/api",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("plan output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestPlanJSON(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"plan", "--json", "../../examples/go-minimal"}, &out); err != nil {
		t.Fatal(err)
	}
	var p struct {
		Provider string
		Stages   []struct{ Name string }
	}
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Provider != "go" || len(p.Stages) != 4 {
		t.Errorf("plan = %+v", p)
	}
}

func TestPlanReportsBadDescription(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "app.yaml"), []byte("# syntax=x\nrun:\n  prot: 80\n"), 0o644)
	err := run([]string{"plan", "-f", "app.yaml", dir}, &bytes.Buffer{})
	if err == nil || err.Error() != "app.yaml:3:3: run.prot: unknown key (did you mean `port`?)" {
		t.Errorf("err = %v", err)
	}
}

func TestDockerfileEjects(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"dockerfile", "../../examples/go-service"}, &out); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../dockerfile/testdata/go-service.Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != string(want) {
		t.Errorf("strata dockerfile differs from the golden file:\n%s", out.String())
	}

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "app.yaml"), []byte("# syntax=x\nrun:\n  port: 80\n"), 0o644)
	out.Reset()
	if err := run([]string{"dockerfile", "-f", "app.yaml", dir}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "`strata dockerfile` from app.yaml") || !strings.Contains(out.String(), "EXPOSE 80/tcp") {
		t.Errorf("dockerfile -f app.yaml:\n%s", out.String())
	}
}

// strata llb prints buildctl debug dump-llb's shape: one op per line with
// its digest and metadata, every input an earlier line, the same every run.
func TestLLBPrintsOnePerLine(t *testing.T) {
	var out, again bytes.Buffer
	args := []string{"llb", "--platform", "linux/arm64", "--target", "build", "../../examples/go-service"}
	if err := run(args, &out); err != nil {
		t.Fatal(err)
	}
	if err := run(args, &again); err != nil || again.String() != out.String() {
		t.Errorf("a second run printed something else (%v)", err)
	}
	seen := map[string]bool{}
	var build []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var op struct {
			Op struct {
				Inputs []struct{ Digest string }
				Op     struct {
					Exec *struct {
						Meta struct{ Args, Env []string }
					}
				}
			}
			Digest     string
			OpMetadata map[string]any
		}
		if err := json.Unmarshal([]byte(line), &op); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		for _, in := range op.Op.Inputs {
			if !seen[in.Digest] {
				t.Errorf("input %s of %s is not an earlier op", in.Digest, op.Digest)
			}
		}
		seen[op.Digest] = true
		if e := op.Op.Op.Exec; e != nil && slices.Contains(e.Meta.Args, "go") && slices.Contains(e.Meta.Args, "build") {
			build = append(e.Meta.Args, e.Meta.Env...)
		}
	}
	for _, want := range []string{"main.version=dev", "GOARCH=arm64", "GOOS=linux"} {
		if !slices.ContainsFunc(build, func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("the compile step lacks %q: %q", want, build)
		}
	}
	if err := run([]string{"llb", "--target", "nope", "../../examples/go-service"}, &out); err == nil || !strings.Contains(err.Error(), `unknown target "nope"`) {
		t.Errorf("unknown target: %v", err)
	}
}

func TestVersionAndUsage(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"version"}, &out); err != nil || !strings.HasPrefix(out.String(), "strata ") {
		t.Errorf("version: %q %v", out.String(), err)
	}
	if err := run([]string{"bogus"}, &out); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("bogus command: %v", err)
	}
	out.Reset()
	if err := run([]string{"help"}, &out); err != nil || !strings.Contains(out.String(), "strata dockerfile") || !strings.Contains(out.String(), "strata llb") {
		t.Errorf("usage: %q %v", out.String(), err)
	}
}

func TestSchemaPrintsJSONSchema(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"schema"}, &out); err != nil {
		t.Fatal(err)
	}
	var s struct {
		Schema     string `json:"$schema"`
		Properties map[string]any
	}
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Schema == "" || s.Properties["go"] == nil || s.Properties["run"] == nil {
		t.Errorf("schema = %s", out.String())
	}
}

// plan lists the generic findings with the provider's, as --call=check
// reports them, and honours the check directive.
func TestPlanListsFindings(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"go.mod":     "module x\n\ngo 1.26\n\nrequire github.com/google/uuid v1.6.0\n",
		"main.go":    "package main\n\nfunc main() {}\n",
		".git/HEAD":  "ref: refs/heads/main\n",
		"Dockerfile": "# syntax=x\n# check=skip=UnusedArg\nargs:\n  NPM_TOKEN: x\n",
	} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644)
	}
	var out bytes.Buffer
	if err := run([]string{"plan", dir}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\nfindings:\n  DockerignoreMissing: the build context has .git",
		"\n  SecretInArgOrEnv (line 4): arg NPM_TOKEN looks like a secret",
		"\n  GoSumMissing (go.mod line 5): go.sum is missing",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("plan output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "UnusedArg") {
		t.Errorf("skipped rule reported:\n%s", out.String())
	}
	os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte("# ours\n.git\n"), 0o644)
	out.Reset()
	if err := run([]string{"plan", dir}, &out); err != nil || strings.Contains(out.String(), "DockerignoreMissing") {
		t.Errorf("with a .dockerignore: %v\n%s", err, out.String())
	}
}

// strata init writes a description per app and the bake file, and
// reports each; `strata plan` reads what it wrote.
func TestInitWritesDescriptionsAndBakeFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/tool\n\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
	var out bytes.Buffer
	if err := run([]string{"init", "--frontend", "registry.acme.io/strata:1.4", dir}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "/Dockerfile: wrote (go app, target tool)") || !strings.Contains(out.String(), "docker-bake.hcl: wrote 1 target (tool)") {
		t.Errorf("report:\n%s", out.String())
	}
	desc, _ := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if !strings.HasPrefix(string(desc), "# syntax=registry.acme.io/strata:1.4\n") {
		t.Errorf("description:\n%s", desc)
	}
	out.Reset()
	if err := run([]string{"plan", dir}, &out); err != nil || !strings.Contains(out.String(), "binary        tool") {
		t.Errorf("plan of the written description: %v\n%s", err, out.String())
	}
	// --one-image: two main packages, one description at the root.
	multi := t.TempDir()
	for name, data := range map[string]string{"go.mod": "module example.com/m\n\ngo 1.26\n", "cmd/a/main.go": "package main\n\nfunc main() {}\n", "cmd/b/main.go": "package main\n\nfunc main() {}\n"} {
		os.MkdirAll(filepath.Dir(filepath.Join(multi, name)), 0o755)
		os.WriteFile(filepath.Join(multi, name), []byte(data), 0o644)
	}
	out.Reset()
	if err := run([]string{"init", "--one-image", multi}, &out); err != nil || !strings.Contains(out.String(), "docker-bake.hcl: wrote 1 target") {
		t.Errorf("--one-image: %v\n%s", err, out.String())
	}
	if desc, _ := os.ReadFile(filepath.Join(multi, "Dockerfile")); !strings.Contains(string(desc), "binaries:\n    - main: ./cmd/a\n    - main: ./cmd/b\n") {
		t.Errorf("--one-image description:\n%s", desc)
	}
	if err := run([]string{"init", "a", "b"}, &out); err == nil || !strings.Contains(err.Error(), "init takes one directory") {
		t.Errorf("two directories: %v", err)
	}
}

// With --defaults, init writes the organisation's pinned frontend, and
// plan shows what the defaults change and where they came from.
func TestDefaultsFlag(t *testing.T) {
	t.Setenv("STRATA_FRONTEND", "")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/tool\n\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
	const pinned = "registry.example.com/strata:1.4@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	defaults := filepath.Join(t.TempDir(), "org.yaml")
	os.WriteFile(defaults, []byte("frontend: "+pinned+"\nargs:\n  GOPROXY: https://goproxy.example.com\n"), 0o644)
	var out bytes.Buffer
	if err := run([]string{"init", "--defaults", defaults, dir}, &out); err != nil {
		t.Fatal(err)
	}
	desc, _ := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if !strings.HasPrefix(string(desc), "# syntax="+pinned+"\n") {
		t.Errorf("description:\n%s", desc)
	}
	out.Reset()
	if err := run([]string{"plan", "--defaults", defaults, dir}, &out); err != nil {
		t.Fatal(err)
	}
	if want := "GOPROXY=https://goproxy.example.com  (passed through; default from organisation defaults " + defaults + " line 3)"; !strings.Contains(out.String(), want) {
		t.Errorf("plan lacks %q:\n%s", want, out.String())
	}
	os.WriteFile(defaults, []byte("frontend: registry.example.com/strata:1.4\n"), 0o644)
	if err := run([]string{"plan", "--defaults", defaults, dir}, &out); err == nil || !strings.Contains(err.Error(), "org.yaml:1:11: frontend: registry.example.com/strata:1.4 is not pinned by digest") {
		t.Errorf("unpinned frontend: %v", err)
	}
	if err := run([]string{"defaults", "check", defaults}, &out); err == nil {
		t.Error("defaults check passed an unpinned frontend")
	}
}
