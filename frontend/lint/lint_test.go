package lint_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/linter"

	"github.com/strata-build/strata/frontend/lint"
	"github.com/strata-build/strata/frontend/pipeline"
	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/frontend/spec"
)

const (
	mainGo = "package main\n\nfunc main() {}\n"
	goMod  = "module x\n\ngo 1.26\n\nrequire github.com/google/uuid v1.6.0\n"
	goSum  = "github.com/google/uuid v1.6.0 h1:x=\ngithub.com/google/uuid v1.6.0/go.mod h1:y=\n"
)

// app is a clean Go module; cases add or replace files.
func app(extra map[string]string) map[string]string {
	files := map[string]string{"go.mod": goMod, "go.sum": goSum, "main.go": mainGo}
	for k, v := range extra {
		if v == "" {
			delete(files, k)
		} else {
			files[k] = v
		}
	}
	return files
}

// check plans desc over files as the frontend does and lints the result.
func check(t *testing.T, desc string, files map[string]string, tweak ...func(*lint.Input)) ([]plan.Finding, *source.Map) {
	t.Helper()
	s, err := pipeline.Parse("Dockerfile", []byte(desc))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	fsys := &source.Map{Files: files}
	p, planErr := pipeline.Plan(context.Background(), s, fsys)
	cfg, err := lint.ReadConfig("Dockerfile", []byte(desc), nil)
	if err != nil {
		t.Fatal(err)
	}
	in := lint.Input{Spec: s, Plan: p, PlanErr: planErr, Context: fsys, Config: cfg}
	for _, f := range tweak {
		f(&in)
	}
	found, err := lint.Check(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return found, fsys
}

// placed is "Rule file:line" for each finding.
func placed(found []plan.Finding) []string {
	var out []string
	for _, f := range found {
		file := f.File
		if file == "" {
			file = "Dockerfile"
		}
		out = append(out, fmt.Sprintf("%s %s:%d", f.Rule, file, f.Pos.Line))
	}
	return out
}

var ignoreFile = func(in *lint.Input) { in.IgnoreFile = true }

// Every rule fires on a bad input, at the line that caused it, and stays
// quiet on the same input made good.
func TestRules(t *testing.T) {
	cases := []struct {
		rule        string
		bad, good   string // descriptions
		badFiles    map[string]string
		goodFiles   map[string]string
		want        string
		goodOptions []func(*lint.Input)
	}{
		{rule: "GoVersionTooOld",
			bad: "go:\n  version: \"1.25\"\n", good: "go:\n  version: \"1.26\"\n",
			want: "GoVersionTooOld Dockerfile:2"},
		{rule: "CgoDisabledButRequired",
			bad: "go:\n  cgo: false\n", good: "go:\n  cgo: true\n",
			badFiles:  map[string]string{"go.mod": "module x\n\ngo 1.26\n\nrequire github.com/mattn/go-sqlite3 v1.14.22\n", "go.sum": "github.com/mattn/go-sqlite3 v1.14.22/go.mod h1:z=\n"},
			goodFiles: map[string]string{"go.mod": "module x\n\ngo 1.26\n\nrequire github.com/mattn/go-sqlite3 v1.14.22\n", "go.sum": "github.com/mattn/go-sqlite3 v1.14.22/go.mod h1:z=\n"},
			want:      "CgoDisabledButRequired Dockerfile:2"},
		{rule: "GoSumMissing",
			badFiles: map[string]string{"go.sum": ""},
			want:     "GoSumMissing go.mod:5"},
		{rule: "SecretInArgOrEnv",
			bad:  "args:\n  VERSION: dev\n  NPM_TOKEN: abc\nrun:\n  env:\n    MODE: release\n    API_KEY: k\n  cmd: [\"${VERSION}\", \"${NPM_TOKEN}\"]\n",
			good: "args:\n  VERSION: dev\n  PUBLIC_KEY: abc\nrun:\n  env:\n    MODE: release\n    KEY_FILE: /run/k\n  cmd: [\"${VERSION}\", \"${PUBLIC_KEY}\"]\n",
			want: "SecretInArgOrEnv Dockerfile:3"},
		{rule: "SecretInArgOrEnv",
			bad:  "run:\n  env:\n    MODE: release\n    DATABASE_PASSWORD: hunter2\n",
			good: "run:\n  env:\n    MODE: release\n    PASSWORDLESS: \"true\"\n",
			want: "SecretInArgOrEnv Dockerfile:4"},
		{rule: "BaseImageUnpinned",
			bad: "run:\n  base: registry.example/base\n", good: "run:\n  base: registry.example/base:1.2\n",
			want: "BaseImageUnpinned Dockerfile:2"},
		{rule: "BaseImageUnpinned",
			bad: "run:\n  base: alpine:latest\n", good: "run:\n  base: alpine@sha256:" + strings.Repeat("a", 64) + "\n",
			want: "BaseImageUnpinned Dockerfile:2"},
		{rule: "BaseImageUnpinned", // an alias is Strata's own pin
			bad: "run:\n  base: debian\n", good: "run:\n  base: distroless\n",
			want: "BaseImageUnpinned Dockerfile:2"},
		{rule: "DockerignoreMissing",
			badFiles:    map[string]string{".git/HEAD": "ref: refs/heads/main\n"},
			goodFiles:   map[string]string{".git/HEAD": "ref: refs/heads/main\n"},
			goodOptions: []func(*lint.Input){ignoreFile},
			want:        "DockerignoreMissing Dockerfile:0"},
		{rule: "DockerignoreMissing",
			badFiles: map[string]string{"node_modules/left-pad/index.js": "x"},
			want:     "DockerignoreMissing Dockerfile:0"},
		{rule: "UnusedArg",
			bad:  "args:\n  VERSION: dev\n  UNUSED: x\ngo:\n  ldflags: -X main.v=${VERSION}\n",
			good: "args:\n  VERSION: dev\n  IN_ENV: x\ngo:\n  ldflags: -X main.v=${VERSION}\nrun:\n  env: {E: \"${IN_ENV}\"}\n",
			want: "UnusedArg Dockerfile:3"},
	}
	for _, c := range cases {
		t.Run(c.rule, func(t *testing.T) {
			bad, _ := check(t, c.bad, app(c.badFiles))
			if got := placed(bad); !slices.Contains(got, c.want) {
				t.Errorf("bad input: findings %q lack %q", got, c.want)
			}
			good, _ := check(t, c.good, app(c.goodFiles), c.goodOptions...)
			if len(good) != 0 {
				t.Errorf("good input: findings %q", placed(good))
			}
		})
	}
}

// An arg another installer reads, declared for an app whose installer
// does not, says what to pass instead.
func TestUnusedArgNamesWhatTheInstallerReads(t *testing.T) {
	files := map[string]string{"requirements.txt": "flask==3.1\n", "main.py": "print(1)\n"}
	for desc, want := range map[string]string{
		"python: {installer: uv}\nargs:\n  PIP_INDEX_URL: https://mirror.example/simple/\n": "arg PIP_INDEX_URL is declared but nothing in the build uses it (uv installs this app's dependencies and reads none of pip's settings: pass UV_DEFAULT_INDEX)",
		"app: python\nargs:\n  UV_INDEX_URL: https://mirror.example/simple/\n":              "arg UV_INDEX_URL is declared but nothing in the build uses it (UV_INDEX_URL is uv's setting, and this app installs with pip: pass PIP_INDEX_URL)",
	} {
		found, _ := check(t, desc, files)
		var msgs []string
		for _, f := range found {
			if f.Rule == "UnusedArg" {
				msgs = append(msgs, f.Message)
			}
		}
		if !slices.Contains(msgs, want) {
			t.Errorf("%q: UnusedArg findings %q, want %q", desc, msgs, want)
		}
	}
}

// Findings say what is wrong and how to fix it.
func TestMessages(t *testing.T) {
	found, _ := check(t, "args:\n  GITHUB_TOKEN: x\nrun:\n  base: myimage:latest\n", app(map[string]string{".git/HEAD": "x", "node_modules/a/b": "x"}))
	text := ""
	for _, f := range found {
		text += f.Rule + ": " + f.Message + "\n"
	}
	for _, want := range []string{
		"SecretInArgOrEnv: arg GITHUB_TOKEN looks like a secret", "build.secrets",
		"BaseImageUnpinned: run.base: image myimage:latest is tagged latest", "myimage:<version>",
		"UnusedArg: arg GITHUB_TOKEN is declared but nothing in the build uses it",
		"DockerignoreMissing: the build context has .git and node_modules but no .dockerignore",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("messages lack %q:\n%s", want, text)
		}
	}
}

// DockerignoreMissing lists the root and reads nothing under .git or
// node_modules: the frontend never transfers them for it.
func TestDockerignoreMissingReadsOnlyTheRoot(t *testing.T) {
	files := app(map[string]string{".git/objects/pack/big.pack": strings.Repeat("x", 1<<20), "node_modules/blob/big.bin": "x"})
	found, fsys := check(t, "", files)
	if got := placed(found); !slices.Equal(got, []string{"DockerignoreMissing Dockerfile:0"}) {
		t.Errorf("findings %q", got)
	}
	if fsys.Reads["./"] == 0 {
		t.Error("the root was not listed")
	}
	for p := range fsys.Reads {
		if strings.HasPrefix(p, ".git/") || strings.HasPrefix(p, "node_modules/") {
			t.Errorf("read %s", p)
		}
	}
	include, exclude := lint.ContextFilter()
	if !slices.Equal(include, []string{".git", "node_modules"}) || !slices.Equal(exclude, []string{".git/*", "node_modules/*"}) {
		t.Errorf("context filter %q %q", include, exclude)
	}
}

// A planning error that is a rule becomes its finding; the others do not.
func TestRuledPlanningError(t *testing.T) {
	found, _ := check(t, "go:\n  version: \"1.25\"\n", app(nil))
	if len(found) != 1 || found[0].Rule != "GoVersionTooOld" || !strings.Contains(found[0].Message, "older than go 1.26") || found[0].File != "" {
		t.Errorf("findings %+v", found)
	}
	found, _ = check(t, "# check=skip=GoVersionTooOld\ngo:\n  version: \"1.25\"\n", app(nil))
	if len(found) != 0 {
		t.Errorf("skipped, the rule still gave %+v (the build error stays the caller's)", found)
	}
	found, _ = check(t, "go:\n  main: ./nowhere/../..\n", app(nil))
	if len(found) != 0 {
		t.Errorf("an error of no rule gave findings %+v", found)
	}
}

func TestCheckDirective(t *testing.T) {
	cases := []struct {
		name, desc string
		skip       []string
		skipAll    bool
		error      bool
		errLine    int
	}{
		{"none", "# syntax=x\napp: go\n", nil, false, false, 0},
		{"skip and error", "# syntax=x\n# check=skip=UnusedArg,BaseImageUnpinned;error=true\napp: go\n", []string{"UnusedArg", "BaseImageUnpinned"}, false, true, 0},
		{"first line", "# check=skip=all\n", nil, true, false, 0},
		{"spaces", "#   check = error=true\n", nil, false, true, 0},
		{"after a key is only a comment", "app: go\n# check=error=true\n", nil, false, false, 0},
		{"after another comment is only a comment", "# syntax=x\n# my app\n# check=error=true\n", nil, false, false, 0},
		{"bad option", "# syntax=x\n# check=skip=A;eror=true\n", nil, false, false, 2},
		{"bad bool", "# syntax=x\n# check=error=sure\n", nil, false, false, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := lint.ReadConfig("Dockerfile", []byte(c.desc), nil)
			if c.errLine > 0 {
				var se *spec.Error
				if !errors.As(err, &se) || se.Pos.Line != c.errLine || se.Key != "check" || !strings.Contains(se.Hint, "# check=skip=") {
					t.Fatalf("err = %v", err)
				}
				if !strings.HasPrefix(se.Error(), fmt.Sprintf("Dockerfile:%d:1: check: ", c.errLine)) {
					t.Errorf("error text %q", se.Error())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cfg.SkipRules, c.skip) || cfg.SkipAll != c.skipAll || cfg.ReturnAsError != c.error {
				t.Errorf("config %+v", cfg)
			}
		})
	}
	// BUILDKIT_DOCKERFILE_CHECK wins over the file
	override := &linter.Config{SkipRules: []string{"X"}}
	if cfg, err := lint.ReadConfig("Dockerfile", []byte("# check=error=true\n"), override); err != nil || cfg != override {
		t.Errorf("override: %+v %v", cfg, err)
	}
}

// Skipping works for generic and provider rules alike; error=true fails.
func TestSkipAndFail(t *testing.T) {
	desc := "# syntax=x\n# check=skip=UnusedArg,GoSumMissing;error=true\nargs:\n  UNUSED: x\n  NPM_TOKEN: y\n"
	found, _ := check(t, desc, app(map[string]string{"go.sum": ""}))
	if got := placed(found); !slices.Equal(got, []string{"SecretInArgOrEnv Dockerfile:5"}) {
		t.Errorf("findings %q", got)
	}
	cfg, _ := lint.ReadConfig("Dockerfile", []byte(desc), nil)
	err := lint.Fail(cfg, nil, "Dockerfile", found)
	var fe *lint.FindingsError
	if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "lint violation found for rules: SecretInArgOrEnv") ||
		!strings.Contains(err.Error(), "\n  Dockerfile:5: SecretInArgOrEnv: arg NPM_TOKEN") {
		t.Errorf("err = %v", err)
	}
	if err := lint.Fail(&linter.Config{}, nil, "Dockerfile", found); err != nil {
		t.Errorf("without error=true: %v", err)
	}
	if err := lint.Fail(cfg, nil, "Dockerfile", nil); err != nil {
		t.Errorf("without findings: %v", err)
	}
	all, _ := check(t, "# check=skip=all\nargs:\n  NPM_TOKEN: y\n", app(map[string]string{"go.sum": ""}))
	if len(all) != 0 {
		t.Errorf("skip=all: %q", placed(all))
	}
}

// Findings come in file order: the description by line, then other files.
func TestOrder(t *testing.T) {
	found, _ := check(t, "args:\n  UNUSED: x\nrun:\n  base: img\n", app(map[string]string{"go.sum": "", ".git/HEAD": "x"}))
	want := []string{"DockerignoreMissing Dockerfile:0", "UnusedArg Dockerfile:2", "BaseImageUnpinned Dockerfile:4", "GoSumMissing go.mod:5"}
	if got := placed(found); !slices.Equal(got, want) {
		t.Errorf("order %q, want %q", got, want)
	}
}
