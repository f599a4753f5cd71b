package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// scenarios are run in this order on one subject's fresh state: each is one
// change since the build before it.
var scenarios = []scenarioInfo{
	{ID: "cold", Title: "cold (empty daemon)"},
	{ID: "noop", Title: "no-op rebuild", Rebuild: true},
	{ID: "edit", Title: "one source file edited", Rebuild: true},
	{ID: "dep", Title: "one dependency added", Rebuild: true},
	{ID: "arg-build", Title: "compile-time arg changed", Rebuild: true},
	{ID: "arg-run", Title: "runtime-only arg changed", Rebuild: true},
	{ID: "base", Title: "base image changed", Rebuild: true},
	{ID: "cache-import", Title: "cache imported on an empty daemon", Rebuild: true},
	{ID: "platform", Title: "second platform added (arm64)", Rebuild: true},
	{ID: "bigctx", Title: "1 GB .git and node_modules, no .dockerignore", Rebuild: true},
	{ID: "bigctx-ignored", Title: "the same, in .dockerignore", Rebuild: true},
}

// bothPlatforms is what the platform scenario builds, after amd64 alone.
const bothPlatforms = "linux/amd64,linux/arm64"

// notMeasured are the scenarios of the benchmark's brief not built yet.
var notMeasured []string

// app is one example app with the edits the scenarios make to it.
type app struct {
	name        string
	runtimeBase string            // the public name every subject's runtime stage starts from
	defaultArgs map[string]string // the args' defaults, as the Dockerfiles declare them
	buildArg    string            // read only at compile time
	runArg      string            // read only by the runtime image's config
	// prepare copies the example into dir as the benchmark builds it.
	prepare func(e env, dir string) error
	edit    func(dir string, run int) error
	addDep  func(e env, dir string) error
	// basePlatforms are those of the runtime base stand-in; a second
	// platform is measured only where it has arm64.
	basePlatforms string
	// hostBuild is the floor's compile, hostEnv its caches under dir;
	// hostScenario the scenarios it takes.
	hostBuild    func(rs *runState, out string) *exec.Cmd
	hostEnv      func(dir string) []string
	hostScenario map[string]bool
	// uvVariant: Strata builds the app a second time with
	// `python: {installer: uv}` (Dockerfile.strata-uv).
	uvVariant bool
	// ko builds Go apps only.
	ko       bool
	koConfig string
	koMain   string
}

// benchBase is the benchmark's own copy of the runtime base, which the
// base-image scenario replaces with a new digest.
func (a *app) benchBase(e env) string {
	return e.registry + "/bench/" + strings.ReplaceAll(path.Base(a.runtimeBase), ":", "-") + ":latest"
}

var apps = []*app{goService, nodeExpress, pythonFastAPI}

var goService = &app{
	name:          "go-service",
	runtimeBase:   "gcr.io/distroless/static-debian12",
	defaultArgs:   map[string]string{"VERSION": "dev", "GIN_MODE": "release"},
	buildArg:      "VERSION",
	runArg:        "GIN_MODE",
	basePlatforms: bothPlatforms,
	prepare:       prepareExample("go-service"),
	edit: func(dir string, run int) error {
		src := fmt.Sprintf("// Package greet says hello.\npackage greet\n\n// Hello is the greeting the service answers with.\nfunc Hello() string { return \"hello from go-service, edit %d\" }\n", run)
		return os.WriteFile(filepath.Join(dir, "internal", "greet", "greet.go"), []byte(src), 0o644)
	},
	// golang.org/x/sync, a small module with no dependencies that the
	// repository's own go.mod also requires. `go get` (untimed, on the host)
	// writes go.mod and go.sum as a developer's would: x/sync needs a newer
	// go line than the example's, which go get raises.
	addDep: func(e env, dir string) error {
		main := filepath.Join(dir, "cmd", "api", "main.go")
		dt, err := os.ReadFile(main)
		if err != nil {
			return err
		}
		imp := []byte("\t\"github.com/google/uuid\"\n")
		if !bytes.Contains(dt, imp) {
			return fmt.Errorf("%s: no uuid import to add the new one after", main)
		}
		dt = bytes.Replace(dt, imp, append(imp, []byte("\t_ \"golang.org/x/sync/errgroup\"\n")...), 1)
		if err := os.WriteFile(main, dt, 0o644); err != nil {
			return err
		}
		get := exec.Command("go", "get", "golang.org/x/sync@v0.23.0")
		get.Dir = dir
		get.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
		if out, err := get.CombinedOutput(); err != nil {
			return fmt.Errorf("go get golang.org/x/sync: %w\n%s", err, out)
		}
		return nil
	},
	hostBuild: func(rs *runState, out string) *exec.Cmd {
		cmd := exec.Command("go", "build", "-trimpath", "-tags", "netgo",
			"-ldflags", "-s -w -X main.version="+rs.arg("VERSION"), "-o", out, "./cmd/api")
		cmd.Dir = rs.dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		return cmd
	},
	hostEnv: func(dir string) []string {
		return []string{"GOCACHE=" + filepath.Join(dir, "build"), "GOMODCACHE=" + filepath.Join(dir, "mod"), "GOFLAGS=-modcacherw"}
	},
	hostScenario: map[string]bool{"cold": true, "noop": true, "edit": true, "dep": true, "arg-build": true},
	ko:           true,
	koConfig: `builds:
- id: api
  main: ./cmd/api
  env: [CGO_ENABLED=0]
  flags: [-tags, netgo]
  ldflags: ["-s -w -X main.version={{.Env.VERSION}}"]
`,
	koMain: "./cmd/api",
}

var nodeExpress = &app{
	name:          "node-express",
	runtimeBase:   "node:26-slim",
	defaultArgs:   map[string]string{"LOG_LEVEL": "info"},
	runArg:        "LOG_LEVEL",
	basePlatforms: "linux/amd64", // the node stand-ins are amd64 only
	prepare:       prepareExample("node-express"),
	edit: func(dir string, run int) error {
		src := fmt.Sprintf("export function greeting(): string {\n  return \"hello from node-express, edit %d\";\n}\n", run)
		return os.WriteFile(filepath.Join(dir, "src", "greet.ts"), []byte(src), 0o644)
	},
	// dotenv: small, no dependencies, its own types. npm writes
	// package.json and the lockfile (untimed, on the host).
	addDep: func(e env, dir string) error {
		server := filepath.Join(dir, "src", "server.ts")
		dt, err := os.ReadFile(server)
		if err != nil {
			return err
		}
		if err := os.WriteFile(server, append([]byte("import \"dotenv/config\";\n"), dt...), 0o644); err != nil {
			return err
		}
		cmd := exec.Command("npm", "install", "--package-lock-only", "--no-audit", "--no-fund", "dotenv@16.4.7")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("npm install dotenv: %w\n%s", err, out)
		}
		return nil
	},
	// npm ci when the lockfile is newer than the install, then tsc.
	hostBuild: func(rs *runState, out string) *exec.Cmd {
		cmd := exec.Command("sh", "-c", "[ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --prefer-offline --loglevel=error; npm run build --silent")
		cmd.Dir = rs.dir
		return cmd
	},
	hostEnv: func(dir string) []string {
		return []string{"npm_config_cache=" + filepath.Join(dir, "npm"), "npm_config_update_notifier=false"}
	},
	hostScenario: map[string]bool{"cold": true, "noop": true, "edit": true, "dep": true},
}

var pythonFastAPI = &app{
	name:          "python-fastapi",
	uvVariant:     true,
	runtimeBase:   "python:3.13-slim",
	defaultArgs:   map[string]string{"LOG_LEVEL": "info"},
	runArg:        "LOG_LEVEL",
	basePlatforms: "linux/amd64", // the python stand-ins are amd64 only
	prepare:       prepareExample("python-fastapi"),
	edit: func(dir string, run int) error {
		src := fmt.Sprintf("def greeting() -> str:\n    return \"hello from python-fastapi, edit %d\"\n", run)
		return os.WriteFile(filepath.Join(dir, "greet.py"), []byte(src), 0o644)
	},
	// six: one pure-Python wheel with no dependencies, pinned as the
	// example pins the rest, and imported by the app.
	addDep: func(e env, dir string) error {
		main := filepath.Join(dir, "main.py")
		dt, err := os.ReadFile(main)
		if err != nil {
			return err
		}
		if err := os.WriteFile(main, append([]byte("import six  # noqa: F401\n"), dt...), 0o644); err != nil {
			return err
		}
		f, err := os.OpenFile(filepath.Join(dir, "requirements.txt"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = f.WriteString("six==1.17.0\n")
		return err
	},
	// pip install into a virtualenv of its own when requirements.txt is
	// newer than the install, then the bytecode compiled, as the images do.
	hostBuild: func(rs *runState, out string) *exec.Cmd {
		cmd := exec.Command("sh", "-c", `[ "$VENV/.installed" -nt requirements.txt ] || { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q --disable-pip-version-check -r requirements.txt && touch "$VENV/.installed"; }; "$VENV/bin/python" -m compileall -q main.py greet.py`)
		cmd.Dir = rs.dir
		cmd.Env = append(os.Environ(), "VENV="+out)
		return cmd
	},
	hostEnv: func(dir string) []string {
		return []string{"PIP_CACHE_DIR=" + filepath.Join(dir, "pip"), "PYTHONDONTWRITEBYTECODE="}
	},
	hostScenario: map[string]bool{"cold": true, "noop": true, "edit": true, "dep": true},
}

// prepareExample copies examples/NAME with the benchmark's description,
// hack/bench/testdata/NAME/Dockerfile.strata, as its Dockerfile.
func prepareExample(name string) func(e env, dir string) error {
	return func(e env, dir string) error {
		if err := copyTree(filepath.Join(e.root, "examples", name), dir); err != nil {
			return err
		}
		desc, err := os.ReadFile(filepath.Join(e.root, "hack", "bench", "testdata", name, "Dockerfile.strata"))
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "Dockerfile"), desc, 0o644)
	}
}

// arg is a build arg's value in this run: the one set, else the default.
func (rs *runState) arg(name string) string {
	if v, ok := rs.args[name]; ok {
		return v
	}
	return rs.app.defaultArgs[name]
}

// copyTree copies regular files and dirs from src into dst.
func copyTree(src, dst string) error {
	return filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		dt, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, dt, info.Mode().Perm())
	})
}
