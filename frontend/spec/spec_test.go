package spec

import (
	"errors"
	"strings"
	"testing"
)

var sections = []string{"go", "node"}

const full = `# syntax=localhost:5000/strata:dev
app: go
go:
  version: "1.25"
  main: ./cmd/api
args:
  VERSION: dev
  EMPTY:
run:
  base: distroless
  cmd: ["serve", "--version=${VERSION}"]
  port: 8080
  env: {GIN_MODE: release, V: "${VERSION}"}
  copy: [./migrations]
`

func TestParseFull(t *testing.T) {
	s, err := Parse("Dockerfile", []byte(full), sections)
	if err != nil {
		t.Fatal(err)
	}
	if s.App.V != "go" || s.App.Pos.Line != 2 {
		t.Errorf("app = %+v", s.App)
	}
	if len(s.Args) != 2 || s.Args[0].Name != "EMPTY" || s.Args[1].Default != "dev" || s.Args[1].Pos.Line != 7 {
		t.Errorf("args = %+v", s.Args)
	}
	if s.Run.Port.V != 8080 || s.Run.Port.Pos.Line != 12 {
		t.Errorf("port = %+v", s.Run.Port)
	}
	if got := s.Run.Cmd.V; len(got) != 2 || got[1] != "--version=${VERSION}" {
		t.Errorf("cmd = %q", got)
	}
	if s.Run.Env.V["V"] != "${VERSION}" {
		t.Errorf("env = %v", s.Run.Env.V)
	}
	var g struct {
		Version Value[string] `yaml:"version"`
		Main    Value[string] `yaml:"main"`
	}
	if err := s.Sections["go"].Decode(&g); err != nil {
		t.Fatal(err)
	}
	if g.Version.V != "1.25" || g.Main.Pos.Line != 5 || g.Main.Pos.Column != 9 {
		t.Errorf("go = %+v", g)
	}
}

func TestParseEmptyDescription(t *testing.T) {
	for _, in := range []string{"", "# syntax=localhost:5000/strata:dev\n", "# syntax=x\n\n# a comment\n"} {
		s, err := Parse("Dockerfile", []byte(in), sections)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if s.App.Set || len(s.Sections) != 0 {
			t.Errorf("%q: want an empty spec, got %+v", in, s)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, in       string
		line           int
		key, msg, hint string
	}{
		{"misspelt key", "app: go\ngo:\n  mian: ./cmd/api\n", 3, "go.mian", "unknown key", "did you mean `main`?"},
		{"unknown top key", "app: go\nrun:\n  base: x\nargz: {}\n", 4, "argz", "unknown key", "did you mean `args`?"},
		{"unknown app", "app: goo\n", 1, "app", `unknown app "goo"`, "did you mean `go`?"},
		{"port type", "run:\n  port: http\n", 2, "run.port", "expected a number", "whole number"},
		{"port range", "run:\n  port: 70000\n", 2, "run.port", "not a port", "1 to 65535"},
		{"cmd as string", "run:\n  cmd: serve\n", 2, "run.cmd", "expected a list", "[serve]"},
		{"undeclared arg", "args: {VERSION: dev}\nrun:\n  env:\n    A: ${VERSOIN}\n", 4, "run.env.A", "undeclared arg", "did you mean `VERSION`?"},
		{"undeclared arg no near name", "run:\n  cmd: [\"${NOPE}\"]\n", 2, "run.cmd[0]", "${NOPE} names an undeclared arg", "declare it under `args:`"},
		{"bad ref", "run:\n  cmd: [\"${A\"]\n", 2, "run.cmd[0]", "unclosed", "${NAME}"},
		{"duplicate key", "app: go\napp: go\n", 2, "app", "duplicate key", "remove one"},
		{"copy escapes", "run:\n  copy: [../secrets]\n", 2, "run.copy[0]", "leaves the build context", "inside the build context"},
		{"dockerfile", "# syntax=localhost:5000/strata:dev\nFROM golang:1.26\nRUN go build\n", 2, "", "Dockerfile instruction", "Dockerfile frontend"},
		{"yaml syntax", "app: go\nrun:\n  base: [x\n", 3, "", "", "YAML"},
		{"not a mapping", "- go\n", 1, "", "must be a mapping", "app:"},
		{"section for other app", "app: go\nnode:\n  version: 22\n", 2, "node", "but `app: go`", "remove"},
		{"bool type", "go:\n  cgo: yes please\n", 2, "go.cgo", "expected a boolean", "true or false"},
		{"two sections without app", "go:\n  main: .\nnode:\n  version: 22\n", 1, "app", "several apps", "app: <name>"},
		{"builtin arg redeclared", "args:\n  TARGETOS: linux\n", 2, "args.TARGETOS", "declared twice", "BuildKit sets it"},
		{"package with shell", "build:\n  packages: [\"gcc; rm -rf /\"]\n", 2, "build.packages[0]", "not a Debian package name", "libpq-dev"},
		{"run package", "run:\n  packages: [LibPQ]\n", 2, "run.packages[0]", "not a Debian package name", "libpq-dev"},
		{"relative cache", "build:\n  caches: [.cache]\n", 2, "build.caches[0]", "not an absolute directory", "/root/.cache"},
		{"secret without id", "build:\n  secrets:\n    - {env: TOKEN}\n", 3, "build.secrets[0].id", "needs an id", "--secret id="},
		{"secret env and target", "build:\n  secrets:\n    - id: npm\n      env: TOKEN\n      target: /root/.npmrc\n", 4, "build.secrets[0]", "either an environment variable or a file", "not both"},
		{"secret twice", "build:\n  secrets:\n    - id: npm\n    - id: npm\n", 4, "build.secrets[1].id", "listed twice", "remove"},
		{"secret unknown key", "build:\n  secrets:\n    - id: npm\n      evn: X\n", 4, "build.secrets[0].evn", "unknown key", "did you mean `env`?"},
		{"empty command", "build:\n  command: \" \"\n", 2, "build.command", "empty command", "shell command"},
		{"bad modifier", "run:\n  cmd: [\"${TARGETVARIANT%v}\"]\n", 2, "run.cmd[0]", "not an arg name", "${NAME}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Parse("Dockerfile", []byte(c.in), sections)
			if err == nil && s.Sections["go"] != nil {
				var g struct {
					Main Value[string] `yaml:"main"`
					Cgo  Value[bool]   `yaml:"cgo"`
				}
				err = s.Sections["go"].Decode(&g)
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("want *Error, got %v", err)
			}
			if se.File != "Dockerfile" || se.Pos.Line != c.line || se.Key != c.key {
				t.Errorf("at %s:%d key %q, want line %d key %q (%v)", se.File, se.Pos.Line, se.Key, c.line, c.key, se)
			}
			if !strings.Contains(se.Msg, c.msg) || !strings.Contains(se.Hint, c.hint) {
				t.Errorf("message %q hint %q, want %q / %q", se.Msg, se.Hint, c.msg, c.hint)
			}
			if !strings.HasPrefix(se.Error(), "Dockerfile:") {
				t.Errorf("Error() = %q does not name the file", se.Error())
			}
		})
	}
}

func TestExpand(t *testing.T) {
	vals := map[string]string{"A": "1", "B": "two"}
	got := Expand("x=${A} y=${B} z=$${A} $HOME ${C}", func(n string) string { return vals[n] })
	if want := "x=1 y=two z=${A} $HOME "; got != want {
		t.Errorf("Expand = %q, want %q", got, want)
	}
	refs, err := References("${A}-$${B}-${C_1}")
	if err != nil || strings.Join(refs, ",") != "A,C_1" {
		t.Errorf("References = %v, %v", refs, err)
	}
}

func TestParseBuild(t *testing.T) {
	in := "build:\n  packages: [gcc, libpq-dev=15.8-0+deb12u1]\n  command: make build && cp bin/app $$OUT\n  secrets:\n    - {id: npm_token, env: NPM_TOKEN, required: true}\n    - id: netrc\n  caches: [/root/.cache/ccache]\nrun:\n  packages: [libpq5]\n"
	s, err := Parse("Dockerfile", []byte(in), sections)
	if err != nil {
		t.Fatal(err)
	}
	b := s.Build
	if len(b.Packages.V) != 2 || b.Packages.Pos.Line != 2 || b.Command.V != "make build && cp bin/app $$OUT" || b.Caches.V[0] != "/root/.cache/ccache" {
		t.Errorf("build = %+v", b)
	}
	if len(b.Secrets.V) != 2 || b.Secrets.V[0].Env.V != "NPM_TOKEN" || !b.Secrets.V[0].Required.V || b.Secrets.V[1].ID.V != "netrc" || b.Secrets.V[1].ID.Pos.Line != 6 {
		t.Errorf("secrets = %+v", b.Secrets)
	}
	if s.Run.Packages.V[0] != "libpq5" {
		t.Errorf("run.packages = %v", s.Run.Packages)
	}
}

func TestExpandPrefix(t *testing.T) {
	vals := map[string]string{"TARGETVARIANT": "v7"}
	if got := Expand("GOARM=${TARGETVARIANT#v} ${TARGETVARIANT#x}", func(n string) string { return vals[n] }); got != "GOARM=7 v7" {
		t.Errorf("Expand = %q", got)
	}
	refs, err := References("${TARGETVARIANT#v}")
	if err != nil || len(refs) != 1 || refs[0] != "TARGETVARIANT" {
		t.Errorf("References = %v, %v", refs, err)
	}
}

func TestSuggest(t *testing.T) {
	if got := Suggest("verison", []string{"version", "main"}); got != "did you mean `version`?" {
		t.Errorf("got %q", got)
	}
	if got := Suggest("zzzzzz", []string{"main", "cgo"}); got != "expected one of: cgo, main" {
		t.Errorf("got %q", got)
	}
}

// Each key of a mapping value keeps its own line, so a finding about one
// entry points at it.
func TestMappingKeyPositions(t *testing.T) {
	in := "run:\n  env:\n    A: x\n    B_TOKEN: y\n  port: 80\n"
	s, err := Parse("Dockerfile", []byte(in), sections)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Run.Env.KeyPos("B_TOKEN"); got != (Pos{Line: 4, Column: 5}) {
		t.Errorf("B_TOKEN at %+v", got)
	}
	if got := s.Run.Env.KeyPos("MISSING"); got != s.Run.Env.Pos {
		t.Errorf("an unknown key falls back to the value's position, got %+v", got)
	}
	if s.Run.Port.Keys != nil {
		t.Errorf("a scalar has no keys: %v", s.Run.Port.Keys)
	}
}
