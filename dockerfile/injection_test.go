package dockerfile_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/strata-build/strata/dockerfile"
	"github.com/strata-build/strata/frontend/pipeline"
	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/source"
)

const pwn = "touch /tmp/strata-pwned"

// Values from the description that reach a step are argv words in the
// plan, never shell text, and the ejected Dockerfile single-quotes them in
// its RUN scripts, where /bin/sh expands nothing.
func TestInjectionStaysInert(t *testing.T) {
	desc := "args:\n  V: \"$(" + pwn + ")\"\n" +
		"go:\n  ldflags: \"-s -w -X main.v=$(" + pwn + ");`" + pwn + "`'\\\"\"\n  tags: [\"netgo\"]\n" +
		"run:\n  env: {A: \"$(" + pwn + ")\", B: \"${V}\"}\n  cmd: [\"$(" + pwn + ")\", \"; " + pwn + "\", \"a\\\"b'c\"]\n"
	files := map[string]string{
		"go.mod":  "module example.com/app\n\ngo 1.24\n",
		"main.go": "package main\n\nfunc main() {}\n",
	}
	s, err := pipeline.Parse("Dockerfile", []byte(desc))
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Plan(context.Background(), s, &source.Map{Files: files})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for at := range p.WalkAll().Steps() {
		r := at.Step.Run
		if r == nil {
			continue
		}
		if strings.Contains(r.Script.Text, pwn) {
			t.Errorf("step %q: a description value reached a shell script: %q", at.Step.Name, r.Script.Text)
		}
		for _, a := range r.Args {
			if strings.Contains(a.Text, pwn) {
				seen++
			}
		}
	}
	if seen == 0 {
		t.Fatal("go.ldflags reached no step as an argv word")
	}
	for _, tg := range p.Targets {
		if tg.Name != p.DefaultTarget().Name {
			continue
		}
		if got := strings.Join(strs(tg.Image.Cmd), "|"); !strings.Contains(got, "$("+pwn+")|; "+pwn) {
			t.Errorf("run.cmd is not kept word for word: %q", got)
		}
	}

	df, err := dockerfile.Render(p, dockerfile.Options{File: "Dockerfile"})
	if err != nil {
		t.Fatal(err)
	}
	ast, err := parser.Parse(bytes.NewReader(df))
	if err != nil {
		t.Fatal(err)
	}
	stages, _, err := instructions.Parse(ast.AST, nil)
	if err != nil {
		t.Fatal(err)
	}
	runs := 0
	for _, st := range stages {
		for _, c := range st.Commands {
			run, ok := c.(*instructions.RunCommand)
			if !ok {
				continue
			}
			script := strings.Join(run.CmdLine, " ")
			for _, f := range run.Files { // heredoc scripts
				script += "\n" + f.Data
			}
			for i := strings.Index(script, pwn); i >= 0; i = next(script, i) {
				runs++
				if !singleQuotedAt(script, i) {
					t.Errorf("RUN in stage %s: %q at byte %d is not inside single quotes:\n%s", st.Name, pwn, i, script)
				}
			}
		}
	}
	if runs == 0 {
		t.Fatalf("no RUN holds the value:\n%s", df)
	}
}

func next(s string, i int) int {
	j := strings.Index(s[i+1:], pwn)
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// singleQuotedAt follows /bin/sh quoting up to byte i.
func singleQuotedAt(s string, i int) bool {
	single, double, escaped := false, false, false
	for _, c := range []byte(s[:i]) {
		switch {
		case escaped:
			escaped = false
		case single:
			single = c != '\''
		case c == '\\':
			escaped = true
		case c == '"':
			double = !double
		case c == '\'' && !double:
			single = true
		}
	}
	return single
}

func strs(ss []plan.Str) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Text
	}
	return out
}

// A value with a line break has no Dockerfile form outside RUN: Render
// refuses it rather than write a Dockerfile that means something else.
func TestLineBreakOutsideRunIsRefused(t *testing.T) {
	s, err := pipeline.Parse("Dockerfile", []byte("run:\n  env: {A: \"x\\nRUN "+pwn+"\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Plan(context.Background(), s, &source.Map{Files: map[string]string{
		"go.mod": "module example.com/app\n\ngo 1.24\n", "main.go": "package main\n\nfunc main() {}\n"}})
	if err != nil {
		t.Fatal(err)
	}
	df, err := dockerfile.Render(p, dockerfile.Options{})
	if err == nil || !strings.Contains(err.Error(), "holds a line break") {
		t.Fatalf("Render = %v\n%s", err, df)
	}
}
