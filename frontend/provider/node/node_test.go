package node

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/provider"
	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/frontend/spec"
)

const pkgJSON = `{"name":"app","scripts":{"build":"tsc","start":"node dist/server.js"},"dependencies":{"express":"^5.1.0"},"devDependencies":{"typescript":"^5.9.0"}}`

// lockFor writes an npm lockfile in sync with a package.json.
func lockFor(t *testing.T, pkg string, extra map[string]any) string {
	t.Helper()
	var m manifest
	if err := json.Unmarshal([]byte(pkg), &m); err != nil {
		t.Fatal(err)
	}
	packages := map[string]any{"": map[string]any{"dependencies": m.Dependencies, "devDependencies": m.DevDependencies}}
	for k, v := range extra {
		packages[k] = v
	}
	dt, _ := json.Marshal(map[string]any{"lockfileVersion": 3, "packages": packages})
	return string(dt)
}

func planFor(t *testing.T, desc string, files map[string]string) (*plan.Plan, error) {
	t.Helper()
	s, err := spec.Parse("Dockerfile", []byte(desc), []string{"go", "node"})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return New().Plan(context.Background(), provider.Input{Spec: s, Context: &source.Map{Files: files}})
}

func setting(p *plan.Plan, key string) string {
	s, _ := p.Setting(key)
	return s.Value
}

func words(strs []plan.Str) string {
	out := make([]string, len(strs))
	for i, s := range strs {
		out[i] = s.Text
	}
	return strings.Join(out, " ")
}

func TestPackageManagerFromTheContext(t *testing.T) {
	lock := lockFor(t, pkgJSON, nil)
	cases := []struct {
		name    string
		desc    string
		files   map[string]string
		manager string
		errText string
	}{
		{"npm lockfile", "", map[string]string{"package-lock.json": lock}, "npm", ""},
		{"shrinkwrap", "", map[string]string{"npm-shrinkwrap.json": lock}, "npm", ""},
		{"written", "node:\n  packageManager: npm\n", map[string]string{"package-lock.json": lock}, "npm", ""},
		{"no lockfile", "", map[string]string{}, "", "no lockfile"},
		{"two lockfiles", "", map[string]string{"package-lock.json": lock, "yarn.lock": "# yarn\n"}, "", "several lockfiles (package-lock.json, yarn.lock)"},
		{"written contradicts lockfile", "node:\n  packageManager: pnpm\n", map[string]string{"package-lock.json": lock}, "", "Dockerfile:2:19: node.packageManager: pnpm, but the context holds package-lock.json, which is npm's"},
		{"unknown manager", "node:\n  packageManager: nmp\n", map[string]string{"package-lock.json": lock}, "", "did you mean `npm`?"},
		{"yarn 1", "", map[string]string{"yarn.lock": "# yarn lockfile v1\n\nexpress@^5.1.0:\n  version \"5.1.0\"\n\n\"typescript@^5.9.0\", typescript@^5.0.0:\n  version \"5.9.2\"\n"}, "yarn", ""},
		{"yarn 1 out of sync", "", map[string]string{"yarn.lock": "# yarn lockfile v1\n\nexpress@^4.0.0:\n  version \"4.0.0\"\n"}, "", "yarn.lock has no entry for express@^5.1.0, typescript@^5.9.0 (run yarn install"},
		{"yarn berry", "", map[string]string{"yarn.lock": syncedBerryLock}, "yarn", ""},
		{"bun", "", map[string]string{"bun.lock": bunLockFor(`"express": "^5.1.0",`, `"typescript": "^5.9.0",`, "")}, "bun", ""},
		{"packageManager contradicts", "", map[string]string{"package-lock.json": lock, "package.json": strings.Replace(pkgJSON, `{"name"`, `{"packageManager":"pnpm@9.1.0","name"`, 1)}, "", `packageManager "pnpm@9.1.0" contradicts package-lock.json`},
		{"out of sync", "", map[string]string{"package-lock.json": lockFor(t, strings.Replace(pkgJSON, "^5.1.0", "^4.0.0", 1), nil)}, "", "package.json and package-lock.json are out of sync: dependencies express is ^5.1.0 in package.json but ^4.0.0 in the lockfile (run npm install and commit package-lock.json)"},
		{"old lockfile", "", map[string]string{"package-lock.json": `{"lockfileVersion":1}`}, "", "lockfileVersion 1 is too old"},
		{"broken lockfile", "", map[string]string{"package-lock.json": "{\n\"lockfileVersion\": 3,,\n}"}, "", "package-lock.json: line 2:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, ok := c.files["package.json"]; !ok {
				c.files["package.json"] = pkgJSON
			}
			p, err := planFor(t, c.desc, c.files)
			if c.errText != "" {
				if err == nil || !strings.Contains(err.Error(), c.errText) {
					t.Fatalf("err = %v, want %q", err, c.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := setting(p, "package manager"); got != c.manager {
				t.Errorf("manager %q, want %q", got, c.manager)
			}
		})
	}
}

func TestNodeVersion(t *testing.T) {
	cases := []struct {
		name    string
		desc    string
		engines string
		files   map[string]string
		want    string
		errText string
	}{
		{"default LTS", "", "", nil, "26", ""},
		{"engines range", "", ">=18 <25", nil, "24", ""},
		{"engines caret", "", "^22.11.0", nil, "22", ""},
		{"engines x", "", "22.x || 24.x", nil, "24", ""},
		{"engines nothing known", "", "^18", nil, "", "allows none of the Node release lines"},
		{"nvmrc", "", "", map[string]string{".nvmrc": "v22.11.0\n"}, "22.11.0", ""},
		{"nvmrc lts", "", "", map[string]string{".nvmrc": "lts/*\n"}, "26", ""},
		{"node-version", "", "", map[string]string{".node-version": "24\n"}, "24", ""},
		{"tool-versions", "", "", map[string]string{".tool-versions": "golang 1.26.1\nnodejs 22.12.0\n"}, "22.12.0", ""},
		{"bad nvmrc", "", "", map[string]string{".nvmrc": "hydrogen-ish\n"}, "", `.nvmrc: "hydrogen-ish" is not a Node version`},
		{"written wins", "node:\n  version: \"24\"\n", ">=26", nil, "24", ""},
		{"written bad", "node:\n  version: latest\n", "", nil, "", "node.version: \"latest\" is not a Node version"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pkg := pkgJSON
			if c.engines != "" {
				pkg = strings.Replace(pkg, `{"name"`, `{"engines":{"node":"`+c.engines+`"},"name"`, 1)
			}
			files := map[string]string{"package.json": pkg, "package-lock.json": lockFor(t, pkg, nil)}
			for k, v := range c.files {
				files[k] = v
			}
			p, err := planFor(t, c.desc, files)
			if c.errText != "" {
				if err == nil || !strings.Contains(err.Error(), c.errText) {
					t.Fatalf("err = %v, want %q", err, c.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := setting(p, "node version"); got != c.want {
				t.Errorf("version %q, want %q", got, c.want)
			}
			if deps, _ := p.Stage("deps"); deps.From.Image != "node:"+c.want {
				t.Errorf("builder %s", deps.From.Image)
			}
			if rt, _ := p.Stage("runtime"); rt.From.Image != "node:"+c.want+"-slim" {
				t.Errorf("runtime %s", rt.From.Image)
			}
		})
	}
}

func TestRangeAllowsMajor(t *testing.T) {
	cases := []struct {
		rng   string
		major int
		want  bool
	}{
		{">=22", 26, true}, {"<22", 22, false}, {"<=22", 22, true}, {">22", 22, false}, {">22", 24, true}, {">22.0.0", 22, true},
		{"~22.11", 22, true}, {"~22.11", 24, false}, {"22 - 24", 24, true}, {"22 - 24.1", 26, false},
		{"^0.1.0", 22, false}, {"*", 20, true}, {"", 20, true}, {">=20.9.0 <21", 22, false}, {"=22.1.0", 22, true},
		{"garbage", 22, false},
	}
	for _, c := range cases {
		if got := rangeAllowsMajor(c.rng, c.major); got != c.want {
			t.Errorf("%q allows %d: %v, want %v", c.rng, c.major, got, c.want)
		}
	}
}

func TestStartCommand(t *testing.T) {
	cases := []struct {
		name, pkg, desc, want, errText string
	}{
		{"plain node", `{"scripts":{"start":"node dist/server.js --port 3000"}}`, "", "node dist/server.js --port 3000", ""},
		{"through npm", `{"scripts":{"start":"NODE_OPTIONS=--x node server.js"}}`, "", "npm run start", ""},
		{"shell operators", `{"scripts":{"start":"node a.js && node b.js"}}`, "", "npm run start", ""},
		{"main", `{"main":"./lib/index.js"}`, "", "node lib/index.js", ""},
		{"run.cmd wins", `{"main":"index.js"}`, "run:\n  cmd: [node, other.js]\n", "node other.js", ""},
		{"nothing", `{}`, "", "", "no start script and no main"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := planFor(t, c.desc, map[string]string{"package.json": c.pkg, "package-lock.json": lockFor(t, c.pkg, nil)})
			if c.errText != "" {
				if err == nil || !strings.Contains(err.Error(), c.errText) {
					t.Fatalf("err = %v, want %q", err, c.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			img := p.DefaultTarget().Image
			if got := words(img.Cmd); got != c.want {
				t.Errorf("cmd %q, want %q", got, c.want)
			}
			if img.Entrypoint == nil || len(img.Entrypoint) != 0 {
				t.Errorf("the base image's entrypoint must be cleared: %v", img.Entrypoint)
			}
		})
	}
}

// The install step sees only the manifests; production dependencies are
// the install less its dev-only packages; the runtime image holds them
// and the app as two linked layers, non-root.
func TestPlanShape(t *testing.T) {
	files := map[string]string{"package.json": pkgJSON, "package-lock.json": lockFor(t, pkgJSON, nil), ".npmrc": "//registry/:_authToken=${NPM_TOKEN}\n"}
	p, err := planFor(t, "", files)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"deps"} {
		st, _ := p.Stage(name)
		cp := st.Steps[0].Copy
		if cp == nil || words(cp.From.Context.Include) != "package.json package-lock.json" {
			t.Errorf("%s copies %+v", name, st.Steps[0])
		}
		run := st.Steps[1].Run
		if !strings.HasPrefix(words(run.Args), "npm ci ") {
			t.Errorf("%s runs %q", name, words(run.Args))
		}
		mounts := map[string]plan.Mount{}
		for _, m := range run.Mounts {
			mounts[m.Target+m.Env] = m
		}
		if m := mounts["/root/.npm"]; m.CacheID != "strata/node/npm" {
			t.Errorf("%s npm cache %+v", name, m)
		}
		if m := mounts["/app/.npmrc"]; m.Type != plan.BindMount || m.From.Path != ".npmrc" {
			t.Errorf("%s .npmrc must be mounted, never copied: %+v", name, m)
		}
		if m := mounts["NPM_TOKEN"]; m.Type != plan.SecretMount || m.Required {
			t.Errorf("%s NPM_TOKEN secret %+v", name, m)
		}
		for _, m := range run.Mounts {
			if strings.HasPrefix(m.Target, "/app/node_modules") {
				t.Errorf("%s: a mount inside node_modules breaks npm ci: %+v", name, m)
			}
		}
	}
	if deps, _ := p.Stage("deps"); !strings.Contains(words(deps.Steps[1].Run.Args), "--include=dev") {
		t.Error("the build's install must include dev dependencies")
	}
	// the lockfile lists no dev-only package: nothing to remove
	if prod, _ := p.Stage("prod-deps"); prod.From.Stage != "deps" || len(prod.Steps) != 1 || prod.Steps[0].Mkdir == nil {
		t.Errorf("the runtime's dependencies must be the install, with nothing to prune: %+v", prod)
	}
	build, _ := p.Stage("build")
	if ex := build.Steps[0].Copy.From.Context.Exclude; !strings.Contains(strings.Join(ex, " "), ".npmrc") || !strings.Contains(strings.Join(ex, " "), "node_modules") {
		t.Errorf("source copy excludes %q", ex)
	}
	rt, _ := p.Stage("runtime")
	// node_modules, the manifests from the context, then the build
	// stage's own layers (the source and the build output)
	if rt.From.Image != "node:26-slim" || len(rt.Steps) != 3 || rt.Steps[0].Copy.From.Stage != "prod-deps" ||
		rt.Steps[1].Copy.From.Context == nil || !rt.Steps[1].Copy.Link ||
		rt.Steps[2].Copy.From.Stage != "build" || !rt.Steps[2].Copy.From.Own || !rt.Steps[2].Copy.Link {
		t.Errorf("runtime %+v", rt)
	}
	img := p.DefaultTarget().Image
	if img.User != plan.Lit("1000:1000") || img.Env[0].Name != "NODE_ENV" || img.Env[0].Value.Text != "production" || img.Labels["org.opencontainers.image.title"] != "app" {
		t.Errorf("runtime config %+v", img)
	}
}

// A package with an install script (a native addon) makes installs run on
// the target platform, so an arm64 build gets arm64 binaries.
func TestNativeAddonsInstallOnTheTarget(t *testing.T) {
	pkg := `{"scripts":{"start":"node index.js"},"dependencies":{"better-sqlite3":"^12.0.0"}}`
	lock := lockFor(t, pkg, map[string]any{"node_modules/better-sqlite3": map[string]any{"version": "12.2.0", "hasInstallScript": true}})
	p, err := planFor(t, "", map[string]string{"package.json": pkg, "package-lock.json": lock})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"deps", "prod-deps", "build"} {
		if st, _ := p.Stage(name); st.Platform != plan.TargetPlatform {
			t.Errorf("%s runs on %s", name, st.Platform)
		}
	}
	if !strings.Contains(setting(p, "install platform"), "target") {
		t.Errorf("settings %+v", p.Settings)
	}
}

// The dev-only packages npm prune --omit=dev removes, read from the
// lockfile: dev folders (a folder inside a removed one not again) and
// their bin links unless a package that stays links the same name;
// devOptional and production packages stay; a path no package can have
// gives nil, and Strata runs npm prune itself.
func TestDevOnlyAsNpmPruneRemoves(t *testing.T) {
	lock := `{"lockfileVersion": 3, "packages": {
		"": {"dependencies": {"express": "^5"}, "devDependencies": {"typescript": "^5", "@types/node": "^22", "devtool": "1"}},
		"node_modules/express": {"version": "5.0.0"},
		"node_modules/express/node_modules/debug": {"version": "4.0.0"},
		"node_modules/typescript": {"version": "5.0.0", "dev": true, "bin": {"tsc": "bin/tsc", "tsserver": "bin/tsserver"}},
		"node_modules/typescript/node_modules/inner": {"version": "1.0.0", "dev": true, "bin": {"inner": "x.js"}},
		"node_modules/@types/node": {"version": "22.0.0", "dev": true},
		"node_modules/fsevents": {"version": "2.0.0", "devOptional": true, "optional": true},
		"node_modules/shared": {"version": "1.0.0", "bin": {"both": "cli.js"}},
		"node_modules/devtool": {"version": "1.0.0", "dev": true, "bin": {"both": "cli.js", "devtool": "cli.js"}},
		"node_modules/express/node_modules/lint": {"version": "1.0.0", "dev": true, "bin": {"lint": "l.js"}}
	}}`
	var l npmLock
	if err := json.Unmarshal([]byte(lock), &l); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"node_modules/@types/node",
		"node_modules/devtool", "node_modules/.bin/devtool",
		"node_modules/express/node_modules/lint", "node_modules/express/node_modules/.bin/lint",
		"node_modules/typescript", "node_modules/.bin/tsc", "node_modules/.bin/tsserver",
	}
	if got := l.devOnly(); !slices.Equal(got, want) {
		t.Errorf("devOnly\n%q, want\n%q", got, want)
	}
	for _, bad := range []string{"node_modules/../../etc", "/abs", "node_modules/a b", "node_modules/$(x)", "packages/member"} {
		l.Packages[bad] = l.Packages["node_modules/typescript"]
		if got := l.devOnly(); got != nil {
			t.Errorf("with %q in the lockfile: %q, want nil (npm prune)", bad, got)
		}
		delete(l.Packages, bad)
	}
	l.Packages["node_modules/typescript"] = npmPackage{Dev: true, Bin: map[string]string{"../x": "y"}}
	if got := l.devOnly(); got != nil {
		t.Errorf("a bin name with a slash: %q, want nil", got)
	}
}
