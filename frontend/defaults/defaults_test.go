package defaults_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-build/strata/frontend/builder"
	"github.com/strata-build/strata/frontend/defaults"
	"github.com/strata-build/strata/frontend/pipeline"
	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/source"
)

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// org is a realistic defaults file; tests change parts of it.
var org = `frontend: registry.example.com/strata:1.4@` + digest + `
images:
  golang:1.26: registry.example.com/hub/golang:1.26@` + digest + `
  gcr.io/distroless/static-debian12: registry.example.com/hub/static:nonroot@` + digest + `
args:
  GOPROXY: https://goproxy.example.com
  NPM_CONFIG_REGISTRY: https://npm.example.com/
cacheNamespace: example
labels:
  com.example.owner: platform
lint:
  errors: [BaseImageUnpinned]
policy:
  deny: [run.base, build.command]
  images: ["registry.example.com/*"]
  lockArgs: [GOPROXY]
`

func load(t *testing.T, text string) *defaults.Defaults {
	t.Helper()
	d, err := builder.LoadDefaults("defaults.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestParseErrorsAreLocated(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"unknown key", "imagez: {}\n", "defaults.yaml:1:1: imagez: unknown key (did you mean `images`?)"},
		{"unpinned image", "images:\n  golang:1.26: mirror/golang:1.26\n", "defaults.yaml:2:3: images.golang:1.26: mirror/golang:1.26 is not pinned by digest"},
		{"bad image name", "images:\n  'Golang': mirror/golang@" + digest + "\n", `images.Golang: "Golang" is not an image reference`},
		{"unpinned frontend", "frontend: registry.example.com/strata:1\n", "defaults.yaml:1:11: frontend: registry.example.com/strata:1 is not pinned by digest"},
		{"bad arg name", "args:\n  GO-PROXY: x\n", `defaults.yaml:2:3: args.GO-PROXY: "GO-PROXY" is not a valid arg name`},
		{"bad namespace", "cacheNamespace: Team A\n", `cacheNamespace: "Team A" is not a cache namespace`},
		{"unknown rule", "lint:\n  errors: [BaseImageUnpined]\n", "defaults.yaml:2:11: lint.errors: unknown rule \"BaseImageUnpined\" (did you mean `BaseImageUnpinned`?)"},
		{"unknown key to deny", "policy:\n  deny: [run.bsae]\n", "policy.deny: \"run.bsae\" is not a description key (did you mean `run.base`?)"},
		{"bad pattern", "policy:\n  images: ['registry.example.com/[']\n", `policy.images: "registry.example.com/[" is not an image pattern`},
		{"not PEM", "ca: hello\n", "ca: no PEM certificate found"},
		{"wrong type", "labels: [a, b]\n", "defaults.yaml:1:9: labels: expected a mapping, got a list"},
		{"duplicate key", "args: {}\nargs: {}\n", "defaults.yaml:2:1: args: duplicate key"},
		{"not UTF-8", "args: {A: \"\xff\"}\n", "defaults.yaml:1:12: byte 0xff is not UTF-8 text"},
		{"not YAML", "args: {A: [}\n", "defaults.yaml: did not find expected node content (the file is YAML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := builder.LoadDefaults("defaults.yaml", []byte(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestParseTooBig(t *testing.T) {
	_, err := builder.LoadDefaults("defaults.yaml", []byte("args: {}\n"+strings.Repeat("#", defaults.MaxSize)))
	if err == nil || !strings.Contains(err.Error(), "more than the 1024 KiB") {
		t.Fatalf("got %v", err)
	}
}

func TestDollarIsLiteral(t *testing.T) {
	d := load(t, "args:\n  PIP_INDEX_URL: https://pypi.example.com/$simple\n")
	if got := d.Args.V["PIP_INDEX_URL"]; got != "https://pypi.example.com/$simple" {
		t.Fatalf("got %q", got)
	}
}

// planGo plans examples/go-service with a description and the defaults.
func planGo(t *testing.T, desc string, d *defaults.Defaults) (*plan.Plan, error) {
	t.Helper()
	s, err := pipeline.Parse("Dockerfile", []byte(desc))
	if err != nil {
		t.Fatal(err)
	}
	return pipeline.PlanWith(context.Background(), s, source.Dir("../../examples/go-service"), d)
}

func TestApplyMapsImagesArgsLabels(t *testing.T) {
	d := load(t, org)
	p, err := planGo(t, "", d)
	if err != nil {
		t.Fatal(err)
	}
	var images []string
	for _, st := range p.Stages {
		if st.From.Image != "" {
			images = append(images, st.From.Image)
			if !strings.HasPrefix(st.From.Image, "registry.example.com/") {
				t.Errorf("stage %s starts from %s, not the organisation's copy", st.Name, st.From.Image)
			}
		}
	}
	if len(images) == 0 {
		t.Fatal("no stage starts from an image")
	}
	s, ok := p.Setting("image golang:1.26")
	if !ok || s.Value != "registry.example.com/hub/golang:1.26@"+digest || s.Source != "organisation defaults defaults.yaml line 3" {
		t.Errorf("image setting: %+v", s)
	}
	var proxy plan.Arg
	for _, a := range p.Args {
		if a.Name == "GOPROXY" {
			proxy = a
		}
	}
	if proxy.Default != "https://goproxy.example.com" || proxy.Source != "organisation defaults defaults.yaml line 6" {
		t.Errorf("GOPROXY: %+v", proxy)
	}
	for _, a := range p.Args {
		if a.Name == "NPM_CONFIG_REGISTRY" {
			t.Errorf("a Go plan got the npm registry arg: %+v", a)
		}
	}
	for _, tg := range p.Targets {
		if tg.Image.Labels["com.example.owner"] != "platform" {
			t.Errorf("target %s lacks the organisation's label: %v", tg.Name, tg.Image.Labels)
		}
	}
	var b strings.Builder
	if err := p.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"GOPROXY=https://goproxy.example.com  (passed through; default from organisation defaults defaults.yaml line 6)",
		"(organisation defaults defaults.yaml line 10)", // the label
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("strata plan does not say %q:\n%s", want, b.String())
		}
	}
}

func TestApplyPolicy(t *testing.T) {
	d := load(t, org)
	for _, tc := range []struct{ name, desc, want string }{
		{"denied key", "run:\n  base: debian-slim\n", "Dockerfile:2:3: run.base: your organisation's defaults do not let descriptions set run.base (remove it; policy.deny in organisation defaults defaults.yaml line 14 lists it)"},
		{"denied key behind an alias", "run:\n  env: &e {A: b}\nbuild:\n  command: make\n", "Dockerfile:4:3: build.command: your organisation's defaults do not let descriptions set build.command"},
		{"locked arg declared", "args:\n  GOPROXY: direct\n", "Dockerfile:2:3: args.GOPROXY: your organisation's defaults fix GOPROXY"},
		{"image outside the policy", "go:\n  version: \"1.27\"\n", "Dockerfile:2:12: go.version: stage deps starts from golang:1.27, which your organisation's policy.images does not allow"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := planGo(t, tc.desc, d)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	// Without a policy the same descriptions plan.
	free := load(t, "images:\n  golang:1.26: registry.example.com/hub/golang:1.26@"+digest+"\n")
	for _, desc := range []string{"run:\n  base: debian-slim\n", "go:\n  version: \"1.27\"\n", "args:\n  GOPROXY: direct\n"} {
		if _, err := planGo(t, desc, free); err != nil {
			t.Errorf("%q: %v", desc, err)
		}
	}
}

func TestCheckBuild(t *testing.T) {
	d := load(t, org+"  lockImages: true\n")
	contexts := map[string]bool{}
	redirected := func(ref string) bool { return contexts[ref] }
	if err := d.CheckBuild(map[string]string{"VERSION": "1", "NPM_CONFIG_REGISTRY": "x"}, map[string]string{"com.example.owner": "platform", "extra": "1"},
		map[string]string{"node:26": "docker-image://registry.example.com/hub/node:26@" + digest, "src": "local:src"}, redirected); err != nil {
		t.Fatalf("allowed request refused: %v", err)
	}
	err := d.CheckBuild(map[string]string{"GOPROXY": "direct"}, nil, nil, redirected)
	if err == nil || !strings.Contains(err.Error(), "--build-arg GOPROXY is not allowed") {
		t.Errorf("locked arg: %v", err)
	}
	err = d.CheckBuild(nil, map[string]string{"com.example.owner": "me"}, nil, redirected)
	if err == nil || !strings.Contains(err.Error(), "--label com.example.owner=me would change a label") {
		t.Errorf("label: %v", err)
	}
	err = d.CheckBuild(nil, nil, map[string]string{"node:26": "docker-image://node:26"}, redirected)
	if err == nil || !strings.Contains(err.Error(), "--build-context node:26=docker-image://node:26 is not allowed: your organisation's policy.images does not allow that image") {
		t.Errorf("redirect outside the policy: %v", err)
	}
	contexts["golang:1.26"] = true
	err = d.CheckBuild(nil, nil, nil, redirected)
	if err == nil || !strings.Contains(err.Error(), "--build-context golang:1.26 is not allowed") {
		t.Errorf("locked image: %v", err)
	}
	unlocked := load(t, org)
	if err := unlocked.CheckBuild(nil, nil, nil, redirected); err != nil {
		t.Errorf("a redirect without lockImages was refused: %v", err)
	}
}

func TestCacheNamespaceAndEnforced(t *testing.T) {
	d := load(t, org)
	if got := d.CacheNS(""); got != "example" {
		t.Errorf("CacheNS(\"\") = %q", got)
	}
	if got := d.CacheNS("team1"); got != "example/team1" {
		t.Errorf("CacheNS(team1) = %q", got)
	}
	var none *defaults.Defaults
	if got := none.CacheNS("team1"); got != "team1" {
		t.Errorf("no defaults: %q", got)
	}
	if got := d.Enforced(); !maps.Equal(map[string]bool{got[0]: true}, map[string]bool{"BaseImageUnpinned": true}) {
		t.Errorf("Enforced() = %v", got)
	}
}

// The documented example file parses, and every image it maps is one an
// example app's plan starts from (so it names images as plans do).
func TestExampleFile(t *testing.T) {
	data, err := os.ReadFile("../../docs/defaults.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := load(t, string(data))
	dirs, _ := filepath.Glob("../../examples/*")
	used := map[string]bool{}
	for _, dir := range dirs {
		p, err := pipeline.PlanDir(context.Background(), dir, "Dockerfile")
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range p.Stages {
			used[st.From.Image] = true
		}
	}
	for from := range d.Images.V {
		if !used[from] {
			t.Errorf("images.%s: no example's plan starts from it", from)
		}
	}
}
