package golang

import (
	"context"
	"errors"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/provider"
	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/frontend/spec"
)

func planFor(t *testing.T, desc string, files map[string]string) (*plan.Plan, *source.Map, error) {
	t.Helper()
	s, err := spec.Parse("Dockerfile", []byte(desc), []string{"go"})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	fsys := &source.Map{Files: files}
	p, err := New().Plan(context.Background(), provider.Input{Spec: s, Context: fsys})
	return p, fsys, err
}

func setting(p *plan.Plan, key string) string {
	s, _ := p.Setting(key)
	return s.Value
}

func step(t *testing.T, p *plan.Plan, stage string, i int) plan.Step {
	t.Helper()
	s, ok := p.Stage(stage)
	if !ok || len(s.Steps) <= i {
		t.Fatalf("no step %d in stage %s", i, stage)
	}
	return s.Steps[i]
}

func env(envs []plan.Env, name string) (string, bool) {
	for _, e := range envs {
		if e.Name == name {
			return e.Value.Text, true
		}
	}
	return "", false
}

// words is an argv or path list as text.
func words(strs []plan.Str) []string {
	out := make([]string, len(strs))
	for i, s := range strs {
		out[i] = s.Text
	}
	return out
}

func runtimeImage(t *testing.T, p *plan.Plan) plan.Image {
	t.Helper()
	tg, ok := p.Target("runtime")
	if !ok || !tg.Default {
		t.Fatalf("no default runtime target in %+v", p.Targets)
	}
	return tg.Image
}

// expectErr fails the test unless err contains want (no error when want is
// ""), and reports whether the case ended in the expected error.
func expectErr(t *testing.T, err error, want string) bool {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatal(err)
		}
		return false
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %q", err, want)
	}
	return true
}

const mainGo = "// Command x.\npackage main\n\nfunc main() {}\n"

func TestVersion(t *testing.T) {
	cases := []struct {
		name, desc, gomod, version, builder, errText string
	}{
		{"go line gives the release line", "", "module x\n\ngo 1.26.2\n", "1.26", "golang:1.26", ""},
		{"toolchain line is exact", "", "module x\n\ngo 1.25.0\n\ntoolchain go1.26.8\n", "1.26.8", "golang:1.26.8", ""},
		{"go.version wins", "go:\n  version: \"1.27\"\n", "module x\n\ngo 1.26\n", "1.27", "golang:1.27", ""},
		{"cgo pins bookworm", "go:\n  cgo: true\n", "module x\n\ngo 1.26\n", "1.26", "golang:1.26-bookworm", ""},
		{"go.version too old", "go:\n  version: \"1.25\"\n", "module x\n\ngo 1.26.1\n", "", "", "Dockerfile:2:12: go.version: go 1.25 is older than go 1.26.1 that go.mod line 3 requires (raise go.version to 1.26"},
		{"go.version patch too old", "go:\n  version: 1.26.0\n", "module x\n\ngo 1.26.1\n", "", "", "older than go 1.26.1"},
		{"go.version not a version", "go:\n  version: latest\n", "module x\n\ngo 1.26\n", "", "", "\"latest\" is not a Go version"},
		{"no go line", "", "module x\n", "", "", "no `go` line"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, _, err := planFor(t, c.desc, map[string]string{"go.mod": c.gomod, "main.go": mainGo})
			if expectErr(t, err, c.errText) {
				return
			}
			if got := setting(p, "go version"); got != c.version {
				t.Errorf("version = %q, want %q", got, c.version)
			}
			if got := p.Stages[0].From.Image; got != c.builder {
				t.Errorf("builder = %q, want %q", got, c.builder)
			}
		})
	}
}

func TestMainPackage(t *testing.T) {
	lib := "package lib\n"
	cases := []struct {
		name    string
		files   map[string]string
		desc    string
		main    string
		binary  string
		errText string
	}{
		{"root", map[string]string{"main.go": mainGo}, "", ".", "svc", ""},
		{"only cmd", map[string]string{"lib.go": lib, "cmd/api/main.go": mainGo}, "", "./cmd/api", "api", ""},
		{"root wins over cmd", map[string]string{"main.go": mainGo, "cmd/tool/main.go": mainGo}, "", ".", "svc", ""},
		{"ignored generator", map[string]string{"gen.go": "//go:build ignore\n\npackage main\n", "lib.go": lib, "cmd/api/main.go": mainGo}, "", "./cmd/api", "api", ""},
		{"several", map[string]string{"cmd/a/main.go": mainGo, "cmd/b/main.go": mainGo}, "", "", "", "several main packages and none at the root (set `go: {main: ./cmd/a}` to one of ./cmd/a, ./cmd/b, or build several into one image with `go: {binaries: [{main: ./cmd/a}, {main: ./cmd/b}]}`)"},
		{"none", map[string]string{"lib.go": lib}, "", "", "", "no main package at the root or under cmd/"},
		{"written", map[string]string{"cmd/a/main.go": mainGo, "cmd/b/main.go": mainGo}, "go:\n  main: cmd/b\n  binary: server\n", "./cmd/b", "server", ""},
		{"bad binary", map[string]string{"main.go": mainGo}, "go:\n  binary: a/b\n", "", "", "go.binary: \"a/b\" is not a file name"},
		{"main outside", map[string]string{"main.go": mainGo}, "go:\n  main: ../x\n", "", "", "leaves the build context"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.files["go.mod"] = "module example.com/svc\n\ngo 1.26\n"
			p, _, err := planFor(t, c.desc, c.files)
			if expectErr(t, err, c.errText) {
				return
			}
			if got := setting(p, "main package"); got != c.main {
				t.Errorf("main = %q, want %q", got, c.main)
			}
			compile := words(step(t, p, "build", 0).Run.Args)
			if compile[len(compile)-1] != c.main || compile[len(compile)-2] != "/out/"+c.binary {
				t.Errorf("compile args %q", compile)
			}
			if got := words(runtimeImage(t, p).Entrypoint); len(got) != 1 || got[0] != "/app/"+c.binary {
				t.Errorf("entrypoint %q", got)
			}
		})
	}
}

// Detection must read only what the provider declared, never walk the
// context (node_modules and .git here would be slow to transfer).
func TestReadsOnlyDeclaredPatterns(t *testing.T) {
	files := map[string]string{
		"go.mod":                    "module example.com/svc\n\ngo 1.26\n",
		"go.sum":                    "",
		"lib.go":                    "package svc\n",
		"cmd/api/main.go":           mainGo,
		"cmd/api/util.go":           "package main\n",
		"cmd/README.md":             "docs\n",
		"node_modules/x/index.go":   "package main\n",
		".git/objects/aa/bb":        "blob",
		"internal/deep/pkg/file.go": "package pkg\n",
	}
	_, fsys, err := planFor(t, "", files)
	if err != nil {
		t.Fatal(err)
	}
	patterns := New().Patterns()
	for p := range fsys.Reads {
		if strings.HasSuffix(p, "/") { // a directory listing
			dir := strings.TrimSuffix(p, "/")
			if dir != "." && dir != "cmd" && !matchesAny(dir+"/x.go", patterns) {
				t.Errorf("listed %s, outside %v", dir, patterns)
			}
			continue
		}
		if !matchesAny(p, patterns) {
			t.Errorf("read %s, outside %v", p, patterns)
		}
	}
}

func matchesAny(p string, patterns []string) bool {
	for _, pat := range patterns {
		if ok, _ := path.Match(pat, p); ok {
			return true
		}
	}
	return false
}

func TestDependencyStepSeesOnlyLockfiles(t *testing.T) {
	files := map[string]string{
		"go.mod":       "module example.com/svc\n\ngo 1.26\n",
		"go.work":      "go 1.26\n\nuse (\n\t.\n\t./tools\n)\n",
		"main.go":      mainGo,
		"tools/go.mod": "module example.com/tools\n\ngo 1.26\n",
	}
	p, _, err := planFor(t, "", files)
	if err != nil {
		t.Fatal(err)
	}
	cp, dl := step(t, p, "deps", 0), step(t, p, "deps", 1)
	if dl.Run == nil || strings.Join(words(dl.Run.Args), " ") != "go mod download" {
		t.Fatalf("second step is %+v", dl)
	}
	if cp.Copy == nil || cp.Copy.From.Context == nil {
		t.Fatalf("first step is %+v, want a copy of the module files", cp)
	}
	if got, want := strings.Join(words(cp.Copy.From.Context.Include), " "), "go.mod go.sum go.work go.work.sum tools/go.mod tools/go.sum"; got != want {
		t.Errorf("download step sees %q, want %q", got, want)
	}
	for _, m := range dl.Run.Mounts {
		if m.Type == plan.BindMount {
			t.Errorf("the download step binds %+v besides the module files", m)
		}
	}
	// The module files stay in the stage, for an SBOM scan of it.
	if deps, _ := p.Stage("deps"); !deps.Scan {
		t.Error("the deps stage is not scanned for the SBOM")
	}
}

func TestCrossCompileAndCaches(t *testing.T) {
	p, _, err := planFor(t, "", map[string]string{"go.mod": "module x\n\ngo 1.26\n", "main.go": mainGo})
	if err != nil {
		t.Fatal(err)
	}
	deps, _ := p.Stage("deps")
	if deps.Platform != plan.BuildPlatform {
		t.Errorf("builder runs on %s, want the build platform", deps.Platform)
	}
	compile := step(t, p, "build", 0).Run
	// One plan for every platform: the converter fills BuildKit's platform args in.
	for name, want := range map[string]string{"GOOS": "${TARGETOS}", "GOARCH": "${TARGETARCH}", "GOARM": "${TARGETVARIANT#v}", "CGO_ENABLED": "0"} {
		if got, _ := env(compile.Env, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if got, _ := env(deps.Env, "GOMODCACHE"); got != "/go/pkg/mod" {
		t.Errorf("GOMODCACHE = %q", got)
	}
	if got, _ := env(deps.Env, "GOCACHE"); got != "/root/.cache/go-build" {
		t.Errorf("GOCACHE = %q", got)
	}
	caches := map[string]string{}
	for _, m := range compile.Mounts {
		if m.Type == plan.CacheMount {
			caches[m.Target] = m.CacheID
		}
		if m.Type == plan.SecretMount && m.ID != "netrc" {
			t.Errorf("unexpected secret %q", m.ID)
		}
	}
	if caches["/go/pkg/mod"] != "strata/go/mod" || caches["/root/.cache/go-build"] != "strata/go/build" {
		t.Errorf("caches = %v", caches)
	}
	if !strings.Contains(strings.Join(words(compile.Args), " "), "-trimpath") {
		t.Errorf("compile args %q lack -trimpath", compile.Args)
	}
	for _, a := range proxyArgs {
		v, ok := env(compile.Env, a)
		if !ok || v != "${"+a+"}" {
			t.Errorf("%s not passed through: %q", a, v)
		}
	}
}

func TestCgo(t *testing.T) {
	gomod := "module x\n\ngo 1.26\n\nrequire github.com/mattn/go-sqlite3 v1.14.22\n"
	p, _, err := planFor(t, "", map[string]string{"go.mod": gomod, "main.go": mainGo})
	if err != nil {
		t.Fatal(err)
	}
	if setting(p, "cgo") != "true" || p.Stages[0].From.Image != "golang:1.26-bookworm" {
		t.Errorf("sqlite3 should turn cgo on: %+v", p.Settings)
	}
	rt, _ := p.Stage("runtime")
	if rt.From.Image != "gcr.io/distroless/base-debian12" {
		t.Errorf("cgo runtime = %s, want a glibc distroless", rt.From.Image)
	}
	// cgo builds run on the target platform, never against a musl/glibc mismatch.
	p, _, err = planFor(t, "go:\n  cgo: true\nrun:\n  base: debian-slim\n", map[string]string{"go.mod": "module x\n\ngo 1.26\n", "main.go": mainGo})
	if err != nil {
		t.Fatal(err)
	}
	if deps, _ := p.Stage("deps"); deps.Platform != plan.TargetPlatform {
		t.Errorf("cgo cross build runs on %s", deps.Platform)
	}
	_, _, err = planFor(t, "go:\n  cgo: true\nrun:\n  base: alpine\n", map[string]string{"go.mod": "module x\n\ngo 1.26\n", "main.go": mainGo})
	var se *spec.Error
	if !errors.As(err, &se) || se.Key != "run.base" || se.Pos.Line != 4 || !strings.Contains(se.Msg, "glibc") {
		t.Errorf("cgo on alpine: %v", err)
	}
}

func TestScratchGetsCACertificates(t *testing.T) {
	p, _, err := planFor(t, "run:\n  base: scratch\n", map[string]string{"go.mod": "module x\n\ngo 1.26\n", "main.go": mainGo})
	if err != nil {
		t.Fatal(err)
	}
	rt, _ := p.Stage("runtime")
	if rt.Steps[0].Copy == nil || rt.Steps[0].Copy.From.Stage != "deps" || !strings.HasSuffix(rt.Steps[0].Copy.Dest.Text, "ca-certificates.crt") {
		t.Errorf("first runtime step = %+v", rt.Steps[0])
	}
	if u := runtimeImage(t, p).User; u != plan.Lit(provider.NonRootUser) {
		t.Errorf("user = %q", u)
	}
}

func TestVendoredModuleSkipsDownload(t *testing.T) {
	files := map[string]string{
		"go.mod":             "module x\n\ngo 1.26\n\nrequire github.com/google/uuid v1.6.0\n",
		"main.go":            mainGo,
		"vendor/modules.txt": "# github.com/google/uuid v1.6.0\n",
	}
	p, _, err := planFor(t, "", files)
	if err != nil {
		t.Fatal(err)
	}
	if deps, _ := p.Stage("deps"); len(deps.Steps) != 0 {
		t.Errorf("vendored module still downloads: %+v", deps.Steps)
	}
	if setting(p, "dependencies") != "vendor/" {
		t.Errorf("settings %+v", p.Settings)
	}
	delete(files, "vendor/modules.txt")
	p, _, err = planFor(t, "", files)
	if err != nil {
		t.Fatal(err)
	}
	if deps, _ := p.Stage("deps"); len(deps.Steps) != 2 || deps.Steps[1].Run == nil {
		t.Errorf("module without vendor/ has no download step")
	}
}

func TestLocalReplaces(t *testing.T) {
	gomod := "module x\n\ngo 1.26\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ./libs/lib\n"
	p, _, err := planFor(t, "", map[string]string{"go.mod": gomod, "main.go": mainGo, "libs/lib/go.mod": "module example.com/lib\n"})
	if err != nil {
		t.Fatal(err)
	}
	include := words(step(t, p, "deps", 0).Copy.From.Context.Include)
	if got, want := strings.Join(include, " "), "go.mod go.sum libs/lib/go.mod"; got != want {
		t.Errorf("download step sees %q, want %q", got, want)
	}
	gomod = "module x\n\ngo 1.26\n\nreplace example.com/lib => ../lib\n"
	_, _, err = planFor(t, "", map[string]string{"go.mod": gomod, "main.go": mainGo})
	expectErr(t, err, "go.mod line 5: replace example.com/lib => ../lib points outside the build context")
}

func TestDeclaredProxyArgKeepsItsDefault(t *testing.T) {
	p, _, err := planFor(t, "args:\n  GOPROXY: https://goproxy.internal\n", map[string]string{"go.mod": "module x\n\ngo 1.26\n", "main.go": mainGo})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range p.Args {
		if a.Name == "GOPROXY" {
			n++
			if a.PassThrough || a.Default != "https://goproxy.internal" {
				t.Errorf("GOPROXY arg = %+v", a)
			}
		}
	}
	if n != 1 {
		t.Errorf("GOPROXY appears %d times", n)
	}
}

// fetchMap is a context narrowed like the frontend's: files outside it
// exist only once fetched.
type fetchMap struct {
	source.Map
	hidden  map[string]string
	fetched []string
}

func (f *fetchMap) Fetch(_ context.Context, paths []string) error {
	for _, p := range paths {
		f.fetched = append(f.fetched, p)
		for name, dt := range f.hidden {
			if name == p || source.Match(p, name) {
				f.Files[name] = dt
			}
		}
	}
	return nil
}

func TestWorkspaceMembersReplaces(t *testing.T) {
	fsys := &fetchMap{
		Map: source.Map{Files: map[string]string{
			"go.work":     "go 1.26\n\nuse ./svc\n",
			"svc/main.go": mainGo,
		}},
		hidden: map[string]string{
			"svc/go.mod": "module example.com/svc\n\ngo 1.26\n\nreplace example.com/third => ../third\n",
		},
	}
	s, err := spec.Parse("Dockerfile", []byte("go:\n  main: ./svc\n"), []string{"go"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := New().Plan(context.Background(), provider.Input{Spec: s, Context: fsys})
	if err != nil {
		t.Fatal(err)
	}
	// go.mod for the replaces, then the main package's files to check it is one.
	if strings.Join(fsys.fetched, " ") != "svc/go.mod svc/*.go" {
		t.Errorf("fetched %q", fsys.fetched)
	}
	include := words(step(t, p, "deps", 0).Copy.From.Context.Include)
	if !slices.Contains(include, "third/go.mod") || !slices.Contains(include, "svc/go.mod") {
		t.Errorf("download step sees %q", include)
	}

	fsys.hidden["svc/go.mod"] = "module example.com/svc\n\ngo 1.26\n\nreplace example.com/third => ../../third\n"
	delete(fsys.Files, "svc/go.mod")
	_, err = New().Plan(context.Background(), provider.Input{Spec: s, Context: fsys})
	expectErr(t, err, "svc/go.mod line 5: replace example.com/third => ../../third points outside the build context")
}

// The shared `build:` keys and run.packages reach the right steps.
func TestSharedBuildKeys(t *testing.T) {
	desc := `build:
  packages: [libsqlite3-dev]
  command: make api && cp bin/api /out/api
  secrets:
    - {id: gh_token, env: GH_TOKEN, required: true}
    - id: npmrc
  caches: [/root/.cache/ccache]
run:
  packages: [libsqlite3-0]
go:
  binary: api
`
	p, _, err := planFor(t, desc, map[string]string{"go.mod": "module x\n\ngo 1.26\n", "main.go": mainGo})
	if err != nil {
		t.Fatal(err)
	}
	apt := step(t, p, "deps", 0)
	if apt.Run == nil || !strings.Contains(apt.Run.Script.Text, "apt-get install") || !strings.Contains(apt.Run.Script.Text, " libsqlite3-dev") || apt.Pos.Line != 2 {
		t.Fatalf("first deps step %+v", apt)
	}
	for _, m := range apt.Run.Mounts {
		if m.Type == plan.CacheMount && m.Sharing != plan.SharingLocked {
			t.Errorf("apt cache %s is not locked", m.Target)
		}
	}
	compile := step(t, p, "build", 0)
	if len(compile.Run.Args) != 0 || compile.Run.Script != plan.Tmpl("make api && cp bin/api /out/api") || compile.Pos.Line != 3 {
		t.Errorf("build.command must replace go build: %+v", compile)
	}
	for _, at := range []plan.Step{step(t, p, "deps", 2), compile, step(t, p, "test", 0)} {
		got := map[string]plan.Mount{}
		for _, m := range at.Run.Mounts {
			got[m.ID+m.CacheID] = m
		}
		if m := got["gh_token"]; m.Env != "GH_TOKEN" || !m.Required || m.Target != "" {
			t.Errorf("%s: env secret %+v", at.Name, m)
		}
		if m := got["npmrc"]; m.Target != "/run/secrets/npmrc" || m.Required {
			t.Errorf("%s: file secret %+v", at.Name, m)
		}
		if m := got["strata/go/cache/root/.cache/ccache"]; m.Target != "/root/.cache/ccache" {
			t.Errorf("%s: extra cache %+v", at.Name, m)
		}
	}
	rt, _ := p.Stage("runtime")
	if rt.From.Image != "debian:bookworm-slim" || !strings.Contains(rt.Steps[0].Run.Script.Text, " libsqlite3-0") {
		t.Errorf("run.packages needs an apt base and an install step: %+v", rt)
	}
	if !strings.Contains(setting(p, "build command"), "make api") || setting(p, "runtime packages") != "libsqlite3-0" || setting(p, "build secret") == "" {
		t.Errorf("settings %+v", p.Settings)
	}

	_, _, err = planFor(t, "run:\n  base: distroless\n  packages: [libpq5]\n", map[string]string{"go.mod": "module x\n\ngo 1.26\n", "main.go": mainGo})
	var se *spec.Error
	if !errors.As(err, &se) || se.Key != "run.base" || se.Pos.Line != 2 || !strings.Contains(se.Msg, "needs apt") {
		t.Errorf("run.packages on distroless: %v", err)
	}
	_, _, err = planFor(t, "run:\n  base: runtime\n", map[string]string{"go.mod": "module x\n\ngo 1.26\n", "main.go": mainGo})
	if !errors.As(err, &se) || se.Key != "run.base" || !strings.Contains(se.Msg, "runtime cannot run a static app") {
		t.Errorf("runtime alias for a Go app: %v", err)
	}
}

// Values the description wrote are templates; what the provider writes
// itself is literal.
func TestTemplatesComeFromTheDescription(t *testing.T) {
	p, _, err := planFor(t, "args: {V: dev}\ngo:\n  ldflags: -X main.v=${V}\nrun:\n  cmd: [\"--v=${V}\"]\n", map[string]string{"go.mod": "module x\n\ngo 1.26\n", "main.go": mainGo})
	if err != nil {
		t.Fatal(err)
	}
	args := step(t, p, "build", 0).Run.Args
	if args[0] != plan.Lit("go") || !slices.Contains(args, plan.Tmpl("-X main.v=${V}")) {
		t.Errorf("compile args %+v", args)
	}
	if cmd := runtimeImage(t, p).Cmd; len(cmd) != 1 || cmd[0] != plan.Tmpl("--v=${V}") {
		t.Errorf("cmd %+v", cmd)
	}
	if dl := step(t, p, "deps", 1).Run.Args; dl[0].Template {
		t.Errorf("download args %+v", dl)
	}
}

// Binaries are stripped unless the description says otherwise; an empty
// go.ldflags links them with their symbol tables.
func TestLdflagsDefaultStrips(t *testing.T) {
	files := map[string]string{"go.mod": "module x\n\ngo 1.26\n", "main.go": mainGo}
	for _, c := range []struct {
		desc string
		want []plan.Str
	}{
		{"", []plan.Str{plan.Lit("-ldflags"), plan.Lit("-s -w")}},
		{"go:\n  ldflags: \"\"\n", nil},
		{"go:\n  ldflags: -X main.v=1\n", []plan.Str{plan.Lit("-ldflags"), plan.Tmpl("-X main.v=1")}},
	} {
		p, _, err := planFor(t, c.desc, files)
		if err != nil {
			t.Fatal(err)
		}
		args := step(t, p, "build", 0).Run.Args
		i := slices.Index(args, plan.Lit("-ldflags"))
		var got []plan.Str
		if i >= 0 {
			got = args[i : i+2]
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%q: ldflags %+v, want %+v (args %+v)", c.desc, got, c.want, args)
		}
	}
}
