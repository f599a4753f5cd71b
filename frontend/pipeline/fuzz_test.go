package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/frontend/spec"
)

// The fuzz targets plan an in-memory context from fuzzed files. Each input
// must give a valid plan or an error naming a file (the description or a
// context file), within a few seconds and without a panic. `hack/fuzz.sh`
// runs them for longer; `go test` runs their seeds.

const fuzzLimit = 5 * time.Second

// checkPlan plans desc on files and checks the outcome.
func checkPlan(t *testing.T, desc string, files map[string]string) {
	t.Helper()
	err := planWithin(fuzzLimit, func() error {
		s, err := Parse("Dockerfile", []byte(desc))
		if err != nil {
			var e *spec.Error
			if !errors.As(err, &e) || e.File != "Dockerfile" {
				t.Fatalf("a description error that is not a located *spec.Error: %T %v", err, err)
			}
			return nil
		}
		_, err = Plan(context.Background(), s, &source.Map{Files: files})
		return err
	})
	if err == nil {
		return
	}
	msg := err.Error()
	if strings.HasPrefix(msg, "HANG") {
		t.Fatalf("%v\ndescription %q, files %q", err, desc, files)
	}
	if !namesFile.MatchString(msg) {
		t.Errorf("the error names no file: %v\nfiles: %q", err, keys(files))
	}
}

// namesFile matches an error that says which file it is about: the
// description, or a context file (one that is missing, too).
var namesFile = regexp.MustCompile(`Dockerfile|detecting|[\w.-]+\.(json|ya?ml|lockb?|toml|txt|mod|work|sum|py|[cm]?js|ts)\b|\.(nvmrc|node-version|python-version|tool-versions)\b`)

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// exampleFiles reads the named files of an example as seeds ("" when absent).
func exampleFiles(t testing.TB, example string, names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		if n == "" {
			continue
		}
		dt, err := os.ReadFile(filepath.Join("../../examples", example, n))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		out[i] = string(dt)
	}
	return out
}

func examples(t testing.TB) []string {
	dirs, err := filepath.Glob("../../examples/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for i, d := range dirs {
		dirs[i] = filepath.Base(d)
	}
	return dirs
}

// FuzzDescription: any description on each example's own context.
func FuzzDescription(f *testing.F) {
	for _, ex := range []string{"go-service", "node-pnpm", "python-uv"} {
		f.Add(exampleFiles(f, ex, "Dockerfile")[0], ex)
	}
	f.Add("app: go\ngo:\n  mian: x\nrun: {port: 0}\n", "go-service")
	f.Add("args: {V: x}\nrun:\n  env: {A: \"${V#*}$$(x)\"}\n  copy: [\"a\\nb\", \"../x\"]\n", "node-pnpm")
	f.Add("python:\n  requirements: ../x\n  installer: uv\n  installerVersion: \"1;x\"\n", "python-uv")
	f.Add("node: {workspace: apps/web, packageManager: pnpm}\nbuild: {command: \"x\\ny\"}\n", "node-pnpm-monorepo")
	contexts := map[string]map[string]string{}
	for _, ex := range examples(f) {
		contexts[ex] = readTree(f, filepath.Join("../../examples", ex))
	}
	f.Fuzz(func(t *testing.T, desc, example string) {
		files, ok := contexts[example]
		if !ok {
			files = contexts["go-service"]
		}
		checkPlan(t, desc, files)
	})
}

// readTree is a directory's files, skipping big ones and .git.
func readTree(t testing.TB, dir string) map[string]string {
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "Dockerfile" {
			return nil
		}
		dt, err := os.ReadFile(p)
		if err == nil && len(dt) < 1<<20 {
			out[filepath.ToSlash(rel)] = string(dt)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// FuzzGoModules: go.mod, go.work and a member's go.mod.
func FuzzGoModules(f *testing.F) {
	for _, ex := range []string{"go-service", "go-workspace", "go-cgo", "go-minimal"} {
		s := exampleFiles(f, ex, "go.mod", "go.work", "api/go.mod")
		f.Add(s[0], s[1], s[2])
	}
	f.Add("module x\ngo 1.24\nreplace a => ../a\n", "", "")
	f.Add("module x\ngo 1.24\ntoolchain go1.99.99\n", "go 1.24\nuse (\n\t.\n\t./api\n)\nreplace b => ./b\n", "module y\ngo 1.24\nreplace c => ../../c\n")
	f.Fuzz(func(t *testing.T, gomod, gowork, member string) {
		files := map[string]string{"main.go": "package main\n\nfunc main() {}\n", "api/main.go": "package main\n"}
		for name, v := range map[string]string{"go.mod": gomod, "go.work": gowork, "api/go.mod": member} {
			if v != "" {
				files[name] = v
			}
		}
		checkPlan(t, "app: go\n", files)
	})
}

// nodeLocks are the lockfiles a fuzzed Node context may hold, chosen by
// index; the berry one comes with a packageManager pin.
var nodeLocks = []string{"package-lock.json", "yarn.lock", "yarn.lock", "pnpm-lock.yaml", "bun.lock"}

// FuzzNodeFiles: package.json, one lockfile of each format, and the
// manager's config files.
func FuzzNodeFiles(f *testing.F) {
	for i, ex := range []string{"node-express", "node-yarn", "node-yarn-berry", "node-pnpm", "node-bun"} {
		s := exampleFiles(f, ex, "package.json", nodeLocks[i], "pnpm-workspace.yaml", ".yarnrc.yml")
		f.Add(s[0], uint8(i), s[1], s[2]+s[3])
	}
	for i, ex := range []string{"node-npm-workspaces", "node-yarn-workspaces", "node-yarn-berry-workspaces", "node-pnpm-monorepo"} {
		s := exampleFiles(f, ex, "package.json", nodeLocks[i], "pnpm-workspace.yaml")
		f.Add(s[0], uint8(i), s[1], s[2])
	}
	f.Add(`{"name":"a","packageManager":"pnpm@x;y","workspaces":["../*"]}`, uint8(3), "lockfileVersion: '9.0'\nimporters: {.: {dependencies: {a: {specifier: '1', version: 1}}}}\n", "packages: ['../*', '/abs']\n")
	f.Fuzz(func(t *testing.T, pkg string, lock uint8, lockData, config string) {
		name := nodeLocks[int(lock)%len(nodeLocks)]
		files := map[string]string{"package.json": pkg, name: lockData, "server.js": "\n"}
		switch name {
		case "pnpm-lock.yaml":
			files["pnpm-workspace.yaml"] = config
		case "yarn.lock":
			files[".yarnrc.yml"] = config
		}
		checkPlan(t, "app: node\n", files)
	})
}

var pythonLocks = []string{"", "uv.lock", "poetry.lock", "pdm.lock"}

// FuzzPythonFiles: pyproject.toml, requirements.txt and each lockfile.
func FuzzPythonFiles(f *testing.F) {
	for i, ex := range []string{"python-flask", "python-uv", "python-poetry", "python-pdm"} {
		s := exampleFiles(f, ex, "pyproject.toml", "requirements.txt", pythonLocks[i])
		f.Add(s[0], s[1], uint8(i), s[2])
	}
	s := exampleFiles(f, "python-uv-workspace", "pyproject.toml", "uv.lock")
	f.Add(s[0], "", uint8(1), s[1])
	f.Add("[project]\nname='a'\ndependencies=['django']\n[tool.uv.workspace]\nmembers=['../*']\n", "-r ../x.txt\n", uint8(1), "version = 1\n")
	f.Fuzz(func(t *testing.T, pyproject, requirements string, lock uint8, lockData string) {
		files := map[string]string{"app.py": "from flask import Flask\napp = Flask(__name__)\n", "manage.py": "\n"}
		if pyproject != "" {
			files["pyproject.toml"] = pyproject
		}
		if requirements != "" {
			files["requirements.txt"] = requirements
		}
		if name := pythonLocks[int(lock)%len(pythonLocks)]; name != "" {
			files[name] = lockData
		}
		checkPlan(t, "app: python\n", files)
	})
}
