package builder

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/gateway/client"
	lintpb "github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/tonistiigi/fsutil"

	"github.com/strata-build/strata/frontend/lint"
	"github.com/strata-build/strata/frontend/pipeline"
	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/source"
)

const lintDesc = "# syntax=x\n# check=error=true\nargs:\n  NPM_TOKEN: x\nrun:\n  base: registry.example/base\n  cmd: [\"${NPM_TOKEN}\"]\n"

// checked plans and lints desc over files as the frontend does.
func checked(t *testing.T, desc string, files map[string]string) (*bk.SourceMap, []plan.Finding, error, func(string) []byte) {
	t.Helper()
	sm := bk.NewSourceMap(nil, "Dockerfile", "YAML", []byte(desc))
	sm.Definition = &bk.Definition{}
	s, err := pipeline.Parse("Dockerfile", []byte(desc))
	if err != nil {
		t.Fatal(err)
	}
	fsys := &source.Map{Files: files}
	p, planErr := pipeline.Plan(context.Background(), s, fsys)
	findings, err := lint.Check(context.Background(), lint.Input{Spec: s, Plan: p, PlanErr: planErr, Context: fsys})
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte { return []byte(files[name]) }
	return sm, findings, planErr, read
}

var badModule = map[string]string{"go.mod": "module x\n\ngo 1.26\n\nrequire github.com/google/uuid v1.6.0\n", "main.go": "package main\n\nfunc main() {}\n"}

// The check's answer has the shape buildx prints for Dockerfiles: rule,
// description, URL, message and location per warning, the files as
// sources, and status 1 when there is anything to report.
func TestLintResultShape(t *testing.T) {
	sm, findings, planErr, _ := checked(t, lintDesc, badModule)
	res, err := lintResults(sm, pipeline.Rules(), findings, planErr).ToResult(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(res.Metadata["result.statuscode"]); got != "1" {
		t.Errorf("statuscode %q", got)
	}
	var out lintpb.LintResults
	if err := json.Unmarshal(res.Metadata["result.json"], &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Sources) != 1 || out.Sources[0].Filename != "Dockerfile" || string(out.Sources[0].Data) != lintDesc {
		t.Fatalf("sources %+v", out.Sources)
	}
	var got []string
	for _, w := range out.Warnings {
		line := 0
		if len(w.Location.Ranges) > 0 {
			line = int(w.Location.Ranges[0].Start.Line)
		}
		got = append(got, fmt.Sprintf("%s %d:%d", w.RuleName, w.Location.SourceIndex, line))
		if w.Description == "" || w.Detail == "" || !strings.HasPrefix(w.URL, lint.DocsBase+"docs/rules/") {
			t.Errorf("warning %+v lacks a description, detail or URL", w)
		}
	}
	want := []string{"SecretInArgOrEnv 0:4", "BaseImageUnpinned 0:6", "GoSumMissing -1:0"}
	if !slices.Equal(got, want) {
		t.Errorf("warnings %q, want %q", got, want)
	}
	if out.Error != nil {
		t.Errorf("build error %+v", out.Error)
	}
	// as buildx prints it: each rule, its URL and the offending line
	var txt strings.Builder
	if err := out.PrintTo(&txt, nil); err != nil {
		t.Fatal(err)
	}
	for _, wantText := range []string{"WARNING: SecretInArgOrEnv - " + lint.DocsBase + "docs/rules/secret-in-arg-or-env.md", "Dockerfile:4\n", ">>>   NPM_TOKEN: x", "go.sum is missing, and go.mod requires 1 module:", "(go.mod line 5)\n"} {
		if !strings.Contains(txt.String(), wantText) {
			t.Errorf("printed result lacks %q:\n%s", wantText, txt.String())
		}
	}

	// a clean description: no warnings, status 0
	clean := map[string]string{"go.mod": "module x\n\ngo 1.26\n", "main.go": badModule["main.go"]}
	sm, findings, planErr, _ = checked(t, "# syntax=x\napp: go\n", clean)
	res, err = lintResults(sm, pipeline.Rules(), findings, planErr).ToResult(nil)
	if err != nil || string(res.Metadata["result.statuscode"]) != "0" || !strings.Contains(string(res.Metadata["result.json"]), `"warnings": null`) {
		t.Errorf("clean: %v %s %s", err, res.Metadata["result.statuscode"], res.Metadata["result.json"])
	}
}

// A planning error is the check's build error, at its line, next to the
// finding of its rule.
func TestLintPlanningErrorIsTheBuildError(t *testing.T) {
	clean := map[string]string{"go.mod": "module x\n\ngo 1.26\n", "main.go": badModule["main.go"]}
	sm, findings, planErr, _ := checked(t, "# syntax=x\ngo:\n  version: \"1.25\"\n", clean)
	if planErr == nil {
		t.Fatal("planning did not fail")
	}
	out := lintResults(sm, pipeline.Rules(), findings, planErr)
	if out.Error == nil || !strings.Contains(out.Error.Message, "go.version: go 1.25 is older than go 1.26") ||
		out.Error.Location.SourceIndex != 0 || out.Error.Location.Ranges[0].Start.Line != 3 {
		t.Fatalf("build error %+v", out.Error)
	}
	if len(out.Warnings) != 1 || out.Warnings[0].RuleName != "GoVersionTooOld" || out.Warnings[0].Location.Ranges[0].Start.Line != 3 {
		t.Errorf("warnings %+v", out.Warnings)
	}
	res, _ := out.ToResult(nil)
	if string(res.Metadata["result.statuscode"]) != "1" {
		t.Errorf("statuscode %s", res.Metadata["result.statuscode"])
	}
}

// During a build each finding is a warning with its rule, URL, detail and
// range; one in go.mod brings go.mod as its source.
func TestWarnFindings(t *testing.T) {
	sm, findings, _, read := checked(t, lintDesc, badModule)
	type warning struct {
		msg  string
		opts client.WarnOpts
	}
	var got []warning
	warnFindings(context.Background(), func(_ context.Context, msg string, opts client.WarnOpts) {
		got = append(got, warning{msg, opts})
	}, pipeline.Rules(), findings, read)
	if len(got) != 3 {
		t.Fatalf("warnings %+v", got)
	}
	w := got[0]
	if !strings.HasPrefix(w.msg, "SecretInArgOrEnv: arg NPM_TOKEN looks like a secret") || !strings.HasSuffix(w.msg, "(line 4)") ||
		w.opts.Level != 1 || w.opts.URL != lint.DocsBase+"docs/rules/secret-in-arg-or-env.md" || string(w.opts.Detail[0]) != lint.SecretInArgOrEnv.Description ||
		w.opts.Range[0].Start.Line != 4 || w.opts.SourceInfo != nil {
		t.Errorf("description warning %q %+v", w.msg, w.opts)
	}
	w = got[2]
	if !strings.HasSuffix(w.msg, "(go.mod line 5)") || w.opts.SourceInfo == nil || w.opts.SourceInfo.Filename != "go.mod" || w.opts.Range[0].Start.Line != 5 {
		t.Errorf("go.mod warning %q %+v", w.msg, w.opts)
	}

	// error=true: the build fails with the findings and their lines
	err := withFindings(lint.Fail(mustConfig(t, lintDesc), nil, "Dockerfile", findings), sm, findings)
	if err == nil || !strings.Contains(err.Error(), "lint violation found for rules: SecretInArgOrEnv, BaseImageUnpinned, GoSumMissing") {
		t.Fatalf("err = %v", err)
	}
	if srcs := errdefs.Sources(err); len(srcs) != 1 || len(srcs[0].Ranges) != 2 || srcs[0].Ranges[1].Start.Line != 6 {
		t.Errorf("sources %+v", srcs)
	}
}

func mustConfig(t *testing.T, desc string) *linter.Config {
	t.Helper()
	cfg, err := lint.ReadConfig("Dockerfile", []byte(desc), nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// The detection context holds .git and node_modules as bare entries:
// fsutil, which sends the context, walks into neither.
func TestDetectionFilterSendsOnlyEntries(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"go.mod": "module x\n", "main.go": "package main\n", "README.md": "x",
		".git/HEAD": "ref", ".git/objects/pack/big.pack": strings.Repeat("x", 1<<20),
		"node_modules/blob/big.bin": "x", "node_modules/.package-lock.json": "{}",
		"ignored/x.go": "package x\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := pipeline.Parse("Dockerfile", nil)
	if err != nil {
		t.Fatal(err)
	}
	include, exclude := detectionFilter(s, []string{"ignored"})
	base, err := fsutil.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	filtered, err := fsutil.NewFilterFS(base, &fsutil.FilterOpt{IncludePatterns: include, ExcludePatterns: exclude})
	if err != nil {
		t.Fatal(err)
	}
	var sent []string
	err = filtered.Walk(context.Background(), "/", func(p string, _ fs.DirEntry, err error) error {
		sent = append(sent, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(sent)
	if want := []string{".git", "go.mod", "main.go", "node_modules"}; !slices.Equal(sent, want) {
		t.Errorf("sent %q, want %q", sent, want)
	}
}

func TestDescribeListsLint(t *testing.T) {
	res, err := describe()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"outline", "targets", "lint", "subrequests.describe"} {
		if !strings.Contains(string(res.Metadata["result.json"]), `"frontend.`+want+`"`) || !strings.Contains(string(res.Metadata["result.txt"]), "\n"+want+" ") {
			t.Errorf("describe lacks %s:\n%s", want, res.Metadata["result.txt"])
		}
	}
}
