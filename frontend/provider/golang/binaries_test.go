package golang

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/provider"
	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/frontend/spec"
)

// multiFiles is a module with two main packages and a shared one.
func multiFiles() map[string]string {
	return map[string]string{
		"go.mod":             "module example.com/multi\n\ngo 1.26\n",
		"cmd/api/main.go":    mainGo,
		"cmd/worker/main.go": mainGo,
		"internal/x/x.go":    "package x\n",
	}
}

// copies are a stage's copy steps as "src -> dest".
func copies(t *testing.T, p *plan.Plan, stage string) []string {
	t.Helper()
	st, ok := p.Stage(stage)
	if !ok {
		t.Fatalf("no stage %s", stage)
	}
	var out []string
	for _, s := range st.Steps {
		if s.Copy != nil && s.Copy.From.Output == "binary" {
			out = append(out, s.Copy.Src.Text+" -> "+s.Copy.Dest.Text)
		}
	}
	return out
}

// go.binaries: one download, one go build writing every binary into /out/,
// one layer per binary in the image, the first as the entrypoint.
func TestBinariesBuildOneImage(t *testing.T) {
	desc := "go:\n  binaries:\n    - main: ./cmd/api\n    - {main: cmd/worker, binary: jobs}\n"
	p, _, err := planFor(t, desc, multiFiles())
	if err != nil {
		t.Fatal(err)
	}
	deps, _ := p.Stage("deps")
	if len(deps.Steps) != 2 || deps.Steps[1].Name != "go mod download" {
		t.Errorf("deps steps %+v", deps.Steps)
	}
	build, _ := p.Stage("build")
	compiles := 0
	for _, s := range build.Steps {
		if s.Run != nil {
			compiles++
		}
	}
	compile := step(t, p, "build", 0)
	args := words(compile.Run.Args)
	if compiles != 1 || compile.Name != "go build ./cmd/api ./cmd/worker" || !slices.Equal(args[len(args)-4:], []string{"-o", "/out/", "./cmd/api", "./cmd/worker"}) {
		t.Errorf("%d compile steps; %q: %q", compiles, compile.Name, args)
	}
	if compile.Pos.Line != 3 {
		t.Errorf("the compile step points at line %d, want the list's, 3", compile.Pos.Line)
	}
	// go build names the worker after its directory; the copies rename it.
	if got := copies(t, p, "build"); !slices.Equal(got, []string{"/api -> /usr/local/bin/api", "/worker -> /usr/local/bin/jobs"}) {
		t.Errorf("build target copies %q", got)
	}
	if got := copies(t, p, "runtime"); !slices.Equal(got, []string{"/api -> /app/api", "/worker -> /app/jobs"}) {
		t.Errorf("runtime copies %q", got)
	}
	img := runtimeImage(t, p)
	if got := words(img.Entrypoint); !slices.Equal(got, []string{"/app/api"}) || img.Labels["org.opencontainers.image.title"] != "api" {
		t.Errorf("entrypoint %q, labels %v", got, img.Labels)
	}
	if tg, _ := p.Target("build"); !slices.Equal(words(tg.Image.Entrypoint), []string{"/usr/local/bin/api"}) {
		t.Errorf("build target entrypoint %q", words(tg.Image.Entrypoint))
	}
	if got := setting(p, "binaries"); got != "api (./cmd/api), jobs (./cmd/worker)" {
		t.Errorf("binaries setting %q", got)
	}
	if err := p.Validate(); err != nil {
		t.Error(err)
	}
}

// A list of one builds exactly as go.main and go.binary do.
func TestBinariesOfOneIsTheSingleForm(t *testing.T) {
	list, _, err := planFor(t, "go:\n  binaries: [{main: ./cmd/worker, binary: jobs}]\n", multiFiles())
	if err != nil {
		t.Fatal(err)
	}
	single, _, err := planFor(t, "go:\n  main: ./cmd/worker\n  binary: jobs\n", multiFiles())
	if err != nil {
		t.Fatal(err)
	}
	for i := range list.Stages {
		for j := range list.Stages[i].Steps {
			list.Stages[i].Steps[j].Pos = spec.Pos{}
			single.Stages[i].Steps[j].Pos = spec.Pos{}
		}
	}
	if !reflect.DeepEqual(list.Stages, single.Stages) || !reflect.DeepEqual(list.Targets, single.Targets) {
		t.Errorf("a list of one plans otherwise than go.main:\n%+v\n%+v", list.Stages[1], single.Stages[1])
	}
}

// With build.command the user's command writes /out/<binary> for each.
func TestBinariesWithBuildCommand(t *testing.T) {
	desc := "go:\n  binaries:\n    - main: ./cmd/api\n    - {main: ./cmd/worker, binary: jobs}\nbuild:\n  command: make all\n"
	p, _, err := planFor(t, desc, multiFiles())
	if err != nil {
		t.Fatal(err)
	}
	if got := copies(t, p, "runtime"); !slices.Equal(got, []string{"/api -> /app/api", "/jobs -> /app/jobs"}) {
		t.Errorf("runtime copies %q", got)
	}
	if got := setting(p, "build command"); !strings.Contains(got, "make all") {
		t.Errorf("build command %q", got)
	}
	s, _ := p.Setting("build command")
	if !strings.Contains(s.Source, "the binaries to /out/api, /out/jobs") {
		t.Errorf("build command source %q", s.Source)
	}
}

// Bad entries are each reported at their own line and key, all at once.
func TestBinariesErrors(t *testing.T) {
	files := multiFiles()
	files["tools/api/main.go"] = mainGo
	cases := []struct{ name, desc, want string }{
		{"with main", "go:\n  main: ./cmd/api\n  binaries: [{main: ./cmd/worker}]\n", "Dockerfile:2:9: go.main: set together with go.binaries"},
		{"with binary", "go:\n  binary: api\n  binaries: [{main: ./cmd/worker}]\n", "Dockerfile:2:11: go.binary: set together with go.binaries"},
		{"empty", "go:\n  binaries: []\n", "Dockerfile:2:13: go.binaries: lists no binary"},
		{"no main", "go:\n  binaries:\n    - binary: api\n", "Dockerfile:3:7: go.binaries[0].main: an entry needs a main package"},
		{"listed twice", "go:\n  binaries:\n    - main: ./cmd/api\n    - main: cmd/api\n", "Dockerfile:4:13: go.binaries[1].main: ./cmd/api is listed twice (also go.binaries[0])"},
		{"same name", "go:\n  binaries:\n    - main: ./cmd/api\n    - main: ./cmd/worker\n      binary: api\n", "Dockerfile:5:15: go.binaries[1].binary: two binaries named api (also go.binaries[0]) (give one of them another name with `binary:`)"},
		{"same go name", "go:\n  binaries:\n    - main: ./cmd/api\n    - {main: ./tools/api, binary: tool}\n", "Dockerfile:4:14: go.binaries[1].main: go build names both ./cmd/api and ./tools/api api, so one would overwrite the other"},
		{"not main", "go:\n  binaries:\n    - main: ./cmd/api\n    - main: ./internal/x\n", "Dockerfile:4:13: go.binaries[1].main: ./internal/x is package x, not a main package"},
		{"missing", "go:\n  binaries:\n    - main: ./cmd/api\n    - main: ./cmd/wroker\n", "Dockerfile:4:13: go.binaries[1].main: no Go files in ./cmd/wroker (did you mean `./cmd/worker`?)"},
		{"outside", "go:\n  binaries:\n    - main: ../other/cmd\n", "Dockerfile:3:13: go.binaries[0].main: path ../other/cmd leaves the build context"},
		{"absolute", "go:\n  binaries:\n    - main: /src/cmd/api\n", "go.binaries[0].main: absolute path /src/cmd/api"},
		{"arg", "args:\n  APP: api\ngo:\n  binaries:\n    - main: ./cmd/${APP}\n", "Dockerfile:5:13: go.binaries[0].main: ${APP} in a package path"},
		{"bad binary", "go:\n  binaries:\n    - {main: ./cmd/api, binary: ../sh}\n", "go.binaries[0].binary: \"../sh\" is not a file name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := spec.Parse("Dockerfile", []byte(c.desc), []string{"go"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = New().Plan(context.Background(), provider.Input{Spec: s, Context: &source.Map{Files: files}})
			expectErr(t, err, c.want)
		})
	}

	// every problem at once
	desc := "go:\n  binaries:\n    - main: ./internal/x\n    - main: ./cmd/nope\n    - {main: ./cmd/api, binary: x}\n"
	_, _, err := planFor(t, desc, files)
	for _, want := range []string{"Dockerfile:3:13: go.binaries[0].main: ./internal/x is package x", "Dockerfile:4:13: go.binaries[1].main: no Go files in ./cmd/nope",
		"Dockerfile:5:33: go.binaries[2].binary: two binaries named x (also go.binaries[0])"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
}

// go.main is checked too: go build makes no binary of another package,
// and the image would not start. A main naming an arg is known only when
// the build runs.
func TestWrittenMainIsAMainPackage(t *testing.T) {
	_, _, err := planFor(t, "go:\n  main: ./internal/x\n", multiFiles())
	expectErr(t, err, "Dockerfile:2:9: go.main: ./internal/x is package x, not a main package")
	p, _, err := planFor(t, "args:\n  APP: api\ngo:\n  main: ./cmd/${APP}\n  binary: app\n", multiFiles())
	if err != nil {
		t.Fatal(err)
	}
	if args := words(step(t, p, "build", 0).Run.Args); args[len(args)-1] != "./cmd/${APP}" {
		t.Errorf("compile args %q", args)
	}
}

// A main package outside cmd/* was not transferred with detection: its
// .go files, and only they, are fetched to check it.
func TestBinariesFetchWhatDetectionLeftOut(t *testing.T) {
	fsys := &fetchMap{Map: source.Map{Files: multiFiles()}, hidden: map[string]string{"tools/gen/main.go": mainGo, "tools/gen/README": "x"}}
	s, err := spec.Parse("Dockerfile", []byte("go:\n  binaries: [{main: ./cmd/api}, {main: ./tools/gen}]\n"), []string{"go"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New().Plan(context.Background(), provider.Input{Spec: s, Context: fsys}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fsys.fetched, []string{"tools/gen/*.go"}) {
		t.Errorf("fetched %q", fsys.fetched)
	}
}

// Binaries are named as go build names them: after the import path's last
// element, the one before a major version suffix, the module's for the root.
func TestExecNames(t *testing.T) {
	m := &module{Path: "example.com/tool/v2"}
	for main, want := range map[string]string{".": "tool", "./cmd/api": "api", "./cmd/x/v3": "x", "./cmd/v1": "v1", "./cmd/v0": "v0"} {
		if got := m.execName(main); got != want {
			t.Errorf("execName(%q) = %q, want %q", main, got, want)
		}
	}
	ws := &module{Workspace: []string{".", "svc", "svc/inner"}, Path: "example.com/root",
		MemberPaths: map[string]string{"svc": "example.com/service", "svc/inner": "example.com/in"}}
	for main, want := range map[string]string{"./svc": "service", "./svc/cmd/a": "a", "./svc/inner": "in", "./cmd/b": "b", ".": "root"} {
		if got := ws.execName(main); got != want {
			t.Errorf("workspace execName(%q) = %q, want %q", main, got, want)
		}
	}
	if got := (&module{}).execName("."); got != "app" {
		t.Errorf("no module path: %q", got)
	}
}
