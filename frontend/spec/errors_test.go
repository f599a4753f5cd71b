package spec

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// wantErrors checks that err lists problems at these lines and keys, in
// this order, one per line of its message.
func wantErrors(t *testing.T, err error, want ...string) {
	t.Helper()
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("want Errors, got %v", err)
	}
	var got []string
	for _, e := range es {
		got = append(got, fmt.Sprintf("%d %s", e.Pos.Line, e.Key))
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("errors at %q, want %q:\n%v", got, want, err)
	}
	if lines := strings.Split(err.Error(), "\n"); len(lines) != len(es) || !strings.HasPrefix(lines[len(lines)-1], "Dockerfile:") {
		t.Errorf("want one problem per line:\n%v", err)
	}
}

func TestParseReportsEveryError(t *testing.T) {
	in := `# syntax=x
app: go
args:
  1BAD: x
  VERSION: dev
run:
  prot: 80
  port: 70000
  cmd: ["${VERSOIN}", "${NOPE}"]
  env: {B-AD: 1, A-B: 2}
build:
  packages: ["Bad Pkg", gcc, "x;y"]
  secrets:
    - {id: a, evn: X}
    - {env: "1X"}
bogus: 1
`
	_, err := Parse("Dockerfile", []byte(in), sections)
	wantErrors(t, err, "4 args.1BAD", "7 run.prot", "8 run.port", "9 run.cmd[0]", "9 run.cmd[1]",
		"10 run.env.B-AD", "10 run.env.A-B", "12 build.packages[0]", "12 build.packages[2]",
		"14 build.secrets[0].evn", "16 bogus")
	// the first problem is the one callers of errors.As(*Error) get
	var first *Error
	if !errors.As(err, &first) || first.Key != "args.1BAD" || first.Pos.Line != 4 {
		t.Errorf("first = %v", first)
	}
	if !strings.Contains(err.Error(), "Dockerfile:9:9: run.cmd[0]: ${VERSOIN} names an undeclared arg (did you mean `VERSION`?)") {
		t.Errorf("message lacks the undeclared arg:\n%v", err)
	}
}

// A secret list whose items all decode is checked item by item.
func TestParseReportsEverySecret(t *testing.T) {
	in := "build:\n  secrets:\n    - {env: A}\n    - {id: \"a b\"}\n    - {id: c, env: C, target: /x}\n    - {id: d, target: rel}\n"
	_, err := Parse("Dockerfile", []byte(in), sections)
	wantErrors(t, err, "3 build.secrets[0].id", "4 build.secrets[1].id", "5 build.secrets[2]", "6 build.secrets[3].target")
}

func TestSectionDecodeReportsEveryError(t *testing.T) {
	s, err := Parse("Dockerfile", []byte("go:\n  mian: .\n  cgo: maybe\n  tags: [a, [b], c]\n  version: \"${V}\"\n"), sections)
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Main    Value[string]   `yaml:"main"`
		Cgo     Value[bool]     `yaml:"cgo"`
		Tags    Value[[]string] `yaml:"tags"`
		Version Value[string]   `yaml:"version"`
	}
	err = s.Sections["go"].Decode(&g)
	wantErrors(t, err, "2 go.mian", "3 go.cgo", "4 go.tags[1]", "5 go.version")
	if g.Tags.Set || g.Cgo.Set {
		t.Errorf("half-read values must stay unset: %+v", g)
	}
}

// One mistake is reported once, not again by everything that depends on it.
func TestParseReportsNoKnockOnErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"args: [A]\nrun:\n  cmd: [\"${A}\"]\n", "1 args"},
		{"args:\n  A: [x]\nrun:\n  cmd: [\"${A}\"]\n", "2 args.A"},
		{"app: goo\ngo: {}\nnode: {}\n", "1 app"},
		{"run:\n  copy: [./a, [b]]\n", "2 run.copy[1]"},
	} {
		_, err := Parse("Dockerfile", []byte(c.in), sections)
		wantErrors(t, err, c.want)
	}
}

func TestParseCapsErrors(t *testing.T) {
	var b strings.Builder
	for i := range MaxErrors + 5 {
		fmt.Fprintf(&b, "key%d: x\n", i)
	}
	_, err := Parse("Dockerfile", []byte(b.String()), sections)
	var es Errors
	if !errors.As(err, &es) || len(es) != MaxErrors+1 {
		t.Fatalf("want %d errors and a count of the rest, got %v", MaxErrors, err)
	}
	if last := es[MaxErrors]; last.Msg != "5 more problems not shown" || !last.Pos.IsZero() {
		t.Errorf("last = %v", last)
	}
	// joined with more problems, the count stays right
	err = Join(err, &Error{File: "Dockerfile", Pos: Pos{Line: 1}, Msg: "one more"})
	if !errors.As(err, &es) || len(es) != MaxErrors+1 || es[0].Msg != "one more" || es[MaxErrors].Msg != "6 more problems not shown" {
		t.Errorf("joined = %v", err)
	}
}

func TestJoin(t *testing.T) {
	a := &Error{File: "f", Pos: Pos{Line: 3}, Msg: "a"}
	b := &Error{File: "f", Pos: Pos{Line: 1}, Msg: "b"}
	c := &Error{File: "f", Msg: "whole file"}
	err := Join(Errors{a, c}, nil, fmt.Errorf("wrapped: %w", b))
	var es Errors
	if !errors.As(err, &es) || len(es) != 3 || es[0] != b || es[1] != a || es[2] != c {
		t.Errorf("Join = %v", err)
	}
	if Join(nil, nil) != nil {
		t.Error("Join of nothing must be nil")
	}
	other := errors.New("context not readable")
	if Join(a, other) != other {
		t.Error("an error about something else must pass as it is")
	}
}

// Editors read the schema from a YAML comment under the syntax line.
func TestParseAcceptsSchemaComment(t *testing.T) {
	in := "# syntax=localhost:5000/strata:dev\n# yaml-language-server: $schema=https://example.com/strata.schema.json\napp: go\n"
	if s, err := Parse("Dockerfile", []byte(in), sections); err != nil || s.App.V != "go" {
		t.Errorf("Parse = %+v, %v", s, err)
	}
}
