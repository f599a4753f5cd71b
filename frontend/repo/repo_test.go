package repo

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/strata-build/strata/frontend/pipeline"
	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/provider"
	"github.com/strata-build/strata/frontend/source"
)

var update = flag.Bool("update", false, "rewrite the monorepo example's generated files and the report golden")

const monorepo = "../../examples-repos/monorepo"

// generated reports whether a file in the example is one strata init writes.
func generated(rel string) bool {
	return filepath.Base(rel) == "Dockerfile" || filepath.Base(rel) == "Dockerfile.dockerignore" || rel == BakeFile
}

// copyTree copies src into a new temp dir, leaving out what keep refuses.
func copyTree(t *testing.T, src string, keep func(rel string) bool) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !keep(filepath.ToSlash(rel)) {
			return nil
		}
		dt, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), dt, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// The example monorepo's Dockerfiles and docker-bake.hcl are exactly what
// strata init writes for its sources, and the report says what it did.
func TestInitMonorepoGolden(t *testing.T) {
	dir := copyTree(t, monorepo, func(rel string) bool { return !generated(rel) })
	var report bytes.Buffer
	if err := Init(context.Background(), dir, Options{Report: &report}); err != nil {
		t.Fatalf("%v\n%s", err, report.String())
	}
	var got []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(dir, p)
		if err == nil && !d.IsDir() && generated(filepath.ToSlash(rel)) {
			got = append(got, filepath.ToSlash(rel))
		}
		return err
	})
	want := []string{"backend/cmd/api/Dockerfile", "backend/cmd/api/Dockerfile.dockerignore", "backend/cmd/notify/Dockerfile", "backend/cmd/notify/Dockerfile.dockerignore",
		"docker-bake.hcl", "web/Dockerfile", "worker/Dockerfile"}
	if !slices.Equal(got, want) {
		t.Errorf("strata init wrote %q, want %q", got, want)
	}
	for _, rel := range got {
		dt, _ := os.ReadFile(filepath.Join(dir, rel))
		golden := filepath.Join(monorepo, rel)
		if *update {
			if err := os.WriteFile(golden, dt, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if w, err := os.ReadFile(golden); err != nil || !bytes.Equal(w, dt) {
			t.Errorf("%s differs from the example's (run go test ./frontend/repo -update and review the diff):\n%s", rel, dt)
		}
	}
	golden := filepath.Join("testdata", "monorepo.report")
	if *update {
		os.WriteFile(golden, report.Bytes(), 0o644)
	} else if w, _ := os.ReadFile(golden); !bytes.Equal(w, report.Bytes()) {
		t.Errorf("report differs from %s:\n%s", golden, report.String())
	}

	// Run again: every description and the bake file are kept.
	report.Reset()
	if err := Init(context.Background(), dir, Options{Report: &report}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(report.String(), ": kept ("); n != 7 || strings.Contains(report.String(), "no target for") {
		t.Errorf("a second run kept %d files, want 7:\n%s", n, report.String())
	}

	// A new app: its description is written, and the kept bake file is
	// reported as lacking its target.
	write(t, dir, map[string]string{"jobs/requirements.txt": "idna==3.20\n", "jobs/main.py": "print('hi')\n"})
	report.Reset()
	if err := Init(context.Background(), dir, Options{Report: &report}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"jobs/Dockerfile: wrote (python app, target jobs)", "docker-bake.hcl: kept (it exists; --force rewrites it); it has no target for jobs"} {
		if !strings.Contains(report.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, report.String())
		}
	}
}

// Both Go services are one module: their descriptions name their main
// packages, and their download steps are the same step (same inputs, so
// one cache key and one run in a bake).
func TestInitGoServicesShareTheDownload(t *testing.T) {
	var downloads []string
	for _, d := range []string{"cmd/api/Dockerfile", "cmd/notify/Dockerfile"} {
		p, err := pipeline.PlanDir(context.Background(), filepath.Join(monorepo, "backend"), d)
		if err != nil {
			t.Fatal(err)
		}
		main := ""
		for _, s := range p.Settings {
			if s.Key == "main package" {
				main = s.Value
			}
		}
		if want := "./" + filepath.Dir(d); main != want {
			t.Errorf("%s builds %q, want %q", d, main, want)
		}
		downloads = append(downloads, stepJSON(t, p, "go mod download"))
	}
	if downloads[0] == "" || downloads[0] != downloads[1] {
		t.Errorf("the download steps differ:\n%s\n%s", downloads[0], downloads[1])
	}
}

// --one-image: the module's two main packages are one description at the
// module root with go.binaries, one target, and no per-binary ignore files;
// its plan builds both with one go build, the first listed as entrypoint.
func TestInitOneImage(t *testing.T) {
	dir := copyTree(t, monorepo, func(rel string) bool { return !generated(rel) })
	var report bytes.Buffer
	if err := Init(context.Background(), dir, Options{Frontend: "registry.acme.io/strata:1.4", OneImage: true, Report: &report}); err != nil {
		t.Fatalf("%v\n%s", err, report.String())
	}
	for _, want := range []string{"backend/Dockerfile: wrote (go app, target backend)", "docker-bake.hcl: wrote 3 targets (backend, web, worker)"} {
		if !strings.Contains(report.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, report.String())
		}
	}
	for _, gone := range []string{"backend/cmd/api/Dockerfile", "backend/cmd/api/Dockerfile.dockerignore", "backend/cmd/notify/Dockerfile"} {
		if _, err := os.Stat(filepath.Join(dir, gone)); err == nil {
			t.Errorf("%s was written", gone)
		}
	}
	desc, err := os.ReadFile(filepath.Join(dir, "backend", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(desc), "go:\n  binaries:\n    - main: ./cmd/api\n    - main: ./cmd/notify\n") ||
		!strings.Contains(string(desc), "entrypoint") || strings.Contains(string(desc), "main: ./cmd/api\n  #") {
		t.Errorf("backend/Dockerfile:\n%s", desc)
	}
	p, err := pipeline.PlanDir(context.Background(), filepath.Join(dir, "backend"), "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if stepJSON(t, p, "go build ./cmd/api ./cmd/notify") == "" {
		t.Errorf("no one go build for both: %+v", p.Stages[1].Steps)
	}
	if bake, _ := os.ReadFile(filepath.Join(dir, BakeFile)); !strings.Contains(string(bake), `target "backend"`) {
		t.Errorf("bake file:\n%s", bake)
	}
}

// stepJSON is the step named name, in a form that compares whole.
func stepJSON(t *testing.T, p *plan.Plan, name string) string {
	t.Helper()
	for _, st := range p.Stages {
		for _, s := range st.Steps {
			if s.Name == name {
				dt, err := json.Marshal([]any{st.From, st.Env, st.Workdir, s})
				if err != nil {
					t.Fatal(err)
				}
				return string(dt)
			}
		}
	}
	return ""
}

// uncomment sets every commented key of a description: the "# " before
// each key goes.
var commentedKey = regexp.MustCompile(`(?m)^(\s*)# ( *[a-zA-Z]+:)`)

// Uncommenting every key init writes gives the plan the frontend detects:
// the comments are the detected settings, written as the parser reads them.
// Every app of every example agrees.
func TestInitCommentsAreTheDetectedSettings(t *testing.T) {
	ctx := context.Background()
	dirs, _ := filepath.Glob("../../examples/*")
	dirs = append(dirs, monorepo)
	for _, src := range dirs {
		t.Run(filepath.Base(src), func(t *testing.T) {
			dir := copyTree(t, src, func(rel string) bool { return !generated(rel) })
			found, err := Find(ctx, dir)
			if err != nil || len(found) == 0 {
				t.Fatalf("found %v, %v", found, err)
			}
			for _, f := range found {
				desc, p, err := Describe(ctx, dir, DefaultFrontend, f)
				if err != nil {
					if f.Optional {
						continue
					}
					t.Fatalf("%s: %v", f.Path(), err)
				}
				all := commentedKey.ReplaceAll(desc, []byte("$1$2"))
				s, err := pipeline.Parse(f.Description(), all)
				if err != nil {
					t.Fatalf("%s with every key uncommented: %v\n%s", f.Path(), err, all)
				}
				q, err := pipeline.Plan(ctx, s, source.Dir(filepath.Join(dir, f.Context)))
				if err != nil {
					t.Fatalf("%s with every key uncommented: %v\n%s", f.Path(), err, all)
				}
				if a, b := values(p), values(q); !slices.Equal(a, b) {
					t.Errorf("%s: uncommenting changed the settings:\n%q\n%q\n%s", f.Path(), a, b, all)
				}
				if a, b := steps(p), steps(q); !slices.Equal(a, b) {
					t.Errorf("%s: uncommenting changed the steps:\n%q\n%q", f.Path(), a, b)
				}
			}
		})
	}
}

func values(p *plan.Plan) []string {
	var out []string
	for _, s := range p.Settings {
		out = append(out, s.Key+"="+s.Value)
	}
	return out
}

func steps(p *plan.Plan) []string {
	var out []string
	for _, st := range p.Stages {
		out = append(out, st.Name+" "+st.From.Image)
		for _, s := range st.Steps {
			out = append(out, s.Name)
		}
	}
	return out
}

// Find walks neither ignored nor vendored trees: what node_modules,
// vendor, hidden directories, testdata, build outputs and .dockerignore
// exclusions hold is no app of the repository.
func TestFindSkipsIgnoredAndVendoredTrees(t *testing.T) {
	dir := t.TempDir()
	app := `{"name":"x","scripts":{"start":"node index.js"}}`
	write(t, dir, map[string]string{
		"svc/go.mod":                               "module x\n\ngo 1.26\n",
		"svc/main.go":                              "package main\n\nfunc main() {}\n",
		"svc/vendor/example.com/y/go.mod":          "module y\n\ngo 1.26\n",
		"svc/testdata/fixture/go.mod":              "module z\n\ngo 1.26\n",
		"web/package.json":                         app,
		"web/package-lock.json":                    `{"lockfileVersion":3,"packages":{"":{"name":"x"}}}`,
		"web/node_modules/dep/package.json":        app,
		"web/dist/package.json":                    app,
		".git/hooks/package.json":                  app,
		".venv/lib/requirements.txt":               "idna==3.20\n",
		".dockerignore":                            "# ours\nscratch\n",
		"scratch/requirements.txt":                 "idna==3.20\n",
		"tools/.dockerignore":                      "old/**\n",
		"tools/old/requirements.txt":               "idna==3.20\n",
		"tools/new/requirements.txt":               "idna==3.20\n",
		"tools/new/main.py":                        "print('hi')\n",
		"docs/package.json":                        `{"name":"docs","devDependencies":{}}`,
		"web/node_modules/.bin/package-lock.json":  "{}",
		"_archive/requirements.txt":                "idna==3.20\n",
		"svc/cmd/README.md":                        "no main packages here\n",
		"web/src/components/button/package.json.x": "{}",
	})
	found, err := Find(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range found {
		got = append(got, f.Provider.Name()+" "+f.Path())
	}
	// docs/package.json has no start or build script: no Node app.
	want := []string{"go svc/Dockerfile", "python tools/new/Dockerfile", "node web/Dockerfile"}
	if !slices.Equal(got, want) {
		t.Errorf("found %q, want %q", got, want)
	}
}

// A hand-written Dockerfile is never overwritten, even with --force, and
// stays out of the bake file; the report gives the command that shows
// what Strata would build instead. --force rewrites Strata's own files.
func TestInitLeavesHandWrittenDockerfilesAlone(t *testing.T) {
	dir := copyTree(t, monorepo, func(rel string) bool { return !generated(rel) })
	hand := "FROM golang:1.26\nCOPY . .\nRUN go build -o /api ./cmd/api\n"
	write(t, dir, map[string]string{
		"backend/cmd/api/Dockerfile": hand,
		"worker/Dockerfile":          "# syntax=ghcr.io/acme/strata:1.4\npython:\n  version: \"3.11\"\n",
	})
	for _, force := range []bool{false, true} {
		var report bytes.Buffer
		if err := Init(context.Background(), dir, Options{Report: &report, Force: force, Display: "repo"}); err != nil {
			t.Fatal(err)
		}
		if dt, _ := os.ReadFile(filepath.Join(dir, "backend/cmd/api/Dockerfile")); string(dt) != hand {
			t.Errorf("force=%v: the hand-written Dockerfile changed:\n%s", force, dt)
		}
		cmp := `printf '%s\n' 'go:' '  main: ./cmd/api' | strata dockerfile -f /dev/stdin repo/backend | diff repo/backend/cmd/api/Dockerfile -`
		if !strings.Contains(report.String(), "repo/backend/cmd/api/Dockerfile: hand-written Dockerfile (no Strata syntax line): left alone and not in docker-bake.hcl") ||
			!strings.Contains(report.String(), cmp) {
			t.Errorf("force=%v: report:\n%s", force, report.String())
		}
		bake, _ := os.ReadFile(filepath.Join(dir, BakeFile))
		if strings.Contains(string(bake), `target "api"`) || !strings.Contains(string(bake), `target "notify"`) {
			t.Errorf("force=%v: bake file:\n%s", force, bake)
		}
		worker, _ := os.ReadFile(filepath.Join(dir, "worker/Dockerfile"))
		if kept := strings.Contains(string(worker), "acme"); kept == force {
			t.Errorf("force=%v: worker/Dockerfile (another Strata image's description):\n%s", force, worker)
		}
		if force && !strings.Contains(report.String(), "repo/docker-bake.hcl: wrote") {
			t.Errorf("--force did not rewrite the bake file:\n%s", report.String())
		}
	}
}

func TestIsStrata(t *testing.T) {
	for desc, want := range map[string]bool{
		"# syntax=localhost:5000/strata:dev\n":                  true,
		"#syntax=registry.acme.io/build/strata@sha256:abc\n":    true,
		"# check=skip=all\n# syntax=mirror/frontend:2\napp: go": true, // the --frontend given below
		"# syntax=docker/dockerfile:1\nFROM scratch\n":          false,
		"FROM golang\n# syntax=localhost:5000/strata:dev\n":     false,
		"": false,
	} {
		if got := IsStrata([]byte(desc), "mirror/frontend:1"); got != want {
			t.Errorf("IsStrata(%q) = %v", desc, got)
		}
	}
}

// A directory two providers detect goes to the first that lists an app,
// and its description names it when detection alone would pick the other.
func TestInitNamesTheAppWhenDetectionWouldNot(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"package.json":     `{"name":"tools","devDependencies":{}}`,
		"requirements.txt": "idna==3.20\n",
		"main.py":          "print('hi')\n",
	})
	if err := Init(context.Background(), dir, Options{}); err != nil {
		t.Fatal(err)
	}
	dt, _ := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if !strings.Contains(string(dt), "\napp: python\n") {
		t.Errorf("description:\n%s", dt)
	}
	if _, p, err := Describe(context.Background(), dir, DefaultFrontend, Found{Context: ".", Provider: mustFind(t, dir)[0].Provider, Named: true, App: mustFind(t, dir)[0].App}); err != nil || p.Provider != "python" {
		t.Errorf("plan: %v", err)
	}
}

func mustFind(t *testing.T, dir string) []Found {
	t.Helper()
	f, err := Find(context.Background(), dir)
	if err != nil || len(f) == 0 {
		t.Fatalf("Find: %v %v", f, err)
	}
	return f
}

// An app that cannot be planned is reported, the others are written, and
// Init fails.
func TestInitReportsAppsItCannotPlan(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"ok/requirements.txt": "idna==3.20\n",
		"ok/main.py":          "print('hi')\n",
		"bad/package.json":    `{"name":"bad","scripts":{"start":"node x.js"}}`,
	})
	var report bytes.Buffer
	err := Init(context.Background(), dir, Options{Report: &report})
	if err == nil || !strings.Contains(err.Error(), "1 app(s) could not be planned") {
		t.Errorf("err = %v", err)
	}
	if !strings.Contains(report.String(), "bad/Dockerfile: not written: ") || !strings.Contains(report.String(), "ok/Dockerfile: wrote") {
		t.Errorf("report:\n%s", report.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "bad", "Dockerfile")); err == nil {
		t.Error("a description was written for an app that cannot be planned")
	}
}

func TestTargetNames(t *testing.T) {
	found := []Found{
		{Context: "services/a", App: appAt(".", "")},
		{Context: "services/b/api", App: appAt(".", "")},
		{Context: "go", App: appAt("cmd/api", "api")},
		{Context: ".", App: appAt("web", "@acme/Web")},
		{Context: ".", App: appAt(".", "")},
	}
	got := names(found, "My Repo")
	want := []string{"a", "services-b-api", "go-cmd-api", "web", "my-repo"}
	if !slices.Equal(got, want) {
		t.Errorf("names = %q, want %q", got, want)
	}
}

func appAt(dir, name string) provider.App { return provider.App{Dir: dir, Name: name} }

// A context that holds another app's is reported, with the .dockerignore
// line that keeps that app out of its builds; Find leaves that app out
// once it is listed.
func TestInitNotesNestedContexts(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"go.mod":                "module example.com/api\n\ngo 1.26\n",
		"main.go":               "package main\n\nfunc main() {}\n",
		"web/package.json":      `{"name":"web","scripts":{"start":"node server.js"}}`,
		"web/package-lock.json": `{"lockfileVersion":3,"packages":{"":{"name":"web"}}}`,
	})
	var report bytes.Buffer
	if err := Init(context.Background(), dir, Options{Report: &report}); err != nil {
		t.Fatal(err)
	}
	if want := "note: ., the build context of Dockerfile, holds web (another app's): list web in .dockerignore"; !strings.Contains(report.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, report.String())
	}
}

// Each binary's .dockerignore starts with the context's patterns (BuildKit
// reads it instead) and leaves out the other main packages' files, and
// the plan of each binary still builds it.
func TestInitBinaryIgnoreFilesKeepTheContextsPatterns(t *testing.T) {
	dir := copyTree(t, monorepo, func(rel string) bool { return !generated(rel) })
	write(t, dir, map[string]string{"backend/.dockerignore": "*.md\nlocal/"})
	if err := Init(context.Background(), dir, Options{}); err != nil {
		t.Fatal(err)
	}
	dt, err := os.ReadFile(filepath.Join(dir, "backend/cmd/api/Dockerfile.dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	lines := slices.DeleteFunc(strings.Split(string(dt), "\n"), func(l string) bool { return l == "" || strings.HasPrefix(l, "#") })
	if want := []string{"*.md", "local/", "cmd/notify/*.go"}; !slices.Equal(lines, want) {
		t.Errorf("patterns = %q, want %q", lines, want)
	}
}
