package node

import (
	"errors"
	"strings"
	"testing"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/spec"
)

// berryLockFor is a yarn 2+ lockfile for pkgJSON's dependencies.
func berryLockFor(deps map[string]string, extra string) string {
	var b strings.Builder
	b.WriteString("__metadata:\n  version: 10\n  cacheKey: 10c0\n\n\"app@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"app@workspace:.\"\n  dependencies:\n")
	for name, rng := range deps {
		b.WriteString("    " + name + ": \"" + rng + "\"\n")
	}
	b.WriteString("  languageName: unknown\n  linkType: soft\n")
	return b.String() + extra
}

var syncedBerryLock = berryLockFor(map[string]string{"express": "npm:^5.1.0", "typescript": "npm:^5.9.0"}, "")

const yarn1Lock = "# yarn lockfile v1\n\nexpress@^5.1.0:\n  version \"5.1.0\"\n\ntypescript@^5.9.0:\n  version \"5.9.2\"\n"

func withPackageManager(pm string) string {
	return strings.Replace(pkgJSON, `{"name"`, `{"packageManager":"`+pm+`","name"`, 1)
}

// stepArgs finds the step named like name in a stage and gives its args.
func stepArgs(t *testing.T, p *plan.Plan, stage, name string) (string, *plan.Run) {
	t.Helper()
	st, ok := p.Stage(stage)
	if !ok {
		t.Fatalf("no stage %s", stage)
	}
	for _, s := range st.Steps {
		if strings.Contains(s.Name, name) && s.Run != nil {
			return words(s.Run.Args), s.Run
		}
	}
	return "", nil
}

func envValue(env []plan.Env, name string) (string, bool) {
	for _, e := range env {
		if e.Name == name {
			return e.Value.Text, true
		}
	}
	return "", false
}

// Yarn 1 and yarn 2+ are told apart by the lockfile, .yarnrc.yml and
// packageManager, which must agree; the linker decides what the runtime
// gets.
func TestYarnReleaseAndLinker(t *testing.T) {
	release := "yarn-4.18.1.cjs"
	cases := []struct {
		name    string
		files   map[string]string
		install string // the build's install command
		prod    string // the production install (or prune)
		linker  string // "" for yarn 1
		errText string
	}{
		{name: "yarn 1 lockfile", files: map[string]string{"yarn.lock": yarn1Lock},
			install: "yarn install --frozen-lockfile --non-interactive --prefer-offline --production=false"},
		{name: "berry lockfile, linker from .yarnrc.yml", files: map[string]string{"yarn.lock": syncedBerryLock, ".yarnrc.yml": "nodeLinker: node-modules\n"},
			install: "yarn install --immutable", prod: "yarn workspaces focus --all --production", linker: "node-modules"},
		{name: "berry lockfile alone is PnP", files: map[string]string{"yarn.lock": syncedBerryLock},
			install: "yarn install --immutable", prod: "yarn workspaces focus --all --production", linker: "pnp"},
		{name: "pinned yarn 4", files: map[string]string{"yarn.lock": syncedBerryLock, "package.json": withPackageManager("yarn@4.18.1"), ".yarnrc.yml": "nodeLinker: \"pnp\"\n"},
			install: "yarn install --immutable", linker: "pnp"},
		{name: "committed release runs with node", files: map[string]string{"yarn.lock": syncedBerryLock, ".yarnrc.yml": "nodeLinker: node-modules\nyarnPath: .yarn/releases/" + release + "\n", ".yarn/releases/" + release: "// yarn"},
			install: "node .yarn/releases/" + release + " install --immutable", prod: "node .yarn/releases/" + release + " workspaces focus --all --production", linker: "node-modules"},
		{name: "yarn 3 with workspace-tools", files: map[string]string{"yarn.lock": syncedBerryLock, "package.json": withPackageManager("yarn@3.8.7"), ".yarnrc.yml": "nodeLinker: node-modules\nplugins:\n  - path: .yarn/plugins/@yarnpkg/plugin-workspace-tools.cjs\n    spec: \"@yarnpkg/plugin-workspace-tools\"\n"},
			install: "yarn install --immutable", linker: "node-modules"},
		{name: "yarn 1 lockfile with .yarnrc.yml", files: map[string]string{"yarn.lock": yarn1Lock, ".yarnrc.yml": "nodeLinker: node-modules\n"},
			errText: "yarn.lock is a yarn 1 lockfile, but the app is a yarn 2+ one (the context holds .yarnrc.yml)"},
		{name: "yarn 1 lockfile, yarn 4 pinned", files: map[string]string{"yarn.lock": yarn1Lock, "package.json": withPackageManager("yarn@4.18.1")},
			errText: `yarn.lock is a yarn 1 lockfile, but the app is a yarn 2+ one (package.json packageManager "yarn@4.18.1")`},
		{name: "berry lockfile, yarn 1 pinned", files: map[string]string{"yarn.lock": syncedBerryLock, "package.json": withPackageManager("yarn@1.22.22")},
			errText: `packageManager "yarn@1.22.22" is yarn 1, but the app is a yarn 2+ one (yarn.lock is a yarn 2+ lockfile (__metadata))`},
		{name: "unknown linker", files: map[string]string{"yarn.lock": syncedBerryLock, ".yarnrc.yml": "# linker\nnodeLinker: node_modules\n"},
			errText: `.yarnrc.yml:2: nodeLinker: "node_modules" is none of pnp, node-modules and pnpm`},
		{name: "release not in the context", files: map[string]string{"yarn.lock": syncedBerryLock, ".yarnrc.yml": "yarnPath: .yarn/releases/" + release + "\n"},
			errText: `.yarnrc.yml:1: yarnPath ".yarn/releases/yarn-4.18.1.cjs" is not in the build context`},
		{name: "release outside the context", files: map[string]string{"yarn.lock": syncedBerryLock, ".yarnrc.yml": "yarnPath: ../yarn.cjs\n"},
			errText: `.yarnrc.yml:1: yarnPath "../yarn.cjs" is outside the build context`},
		{name: "yarn 3 without workspace-tools", files: map[string]string{"yarn.lock": syncedBerryLock, "package.json": withPackageManager("yarn@3.8.7")},
			errText: "yarn 3 has no `yarn workspaces focus`"},
		{name: "bad .yarnrc.yml", files: map[string]string{"yarn.lock": syncedBerryLock, ".yarnrc.yml": "nodeLinker: [\n"},
			errText: ".yarnrc.yml: yaml:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, ok := c.files["package.json"]; !ok {
				c.files["package.json"] = pkgJSON
			}
			p, err := planFor(t, "", c.files)
			if c.errText != "" {
				if err == nil || !strings.Contains(err.Error(), c.errText) {
					t.Fatalf("err = %v, want %q", err, c.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := stepArgs(t, p, "deps", "yarn install"); got != c.install {
				t.Errorf("install %q, want %q", got, c.install)
			}
			if got := setting(p, "yarn linker"); !strings.HasPrefix(got, c.linker) || (c.linker == "") != (got == "") {
				t.Errorf("linker %q, want %q", got, c.linker)
			}
			if c.prod != "" {
				if got, _ := stepArgs(t, p, "prod-deps", "yarn workspaces focus"); got != c.prod {
					t.Errorf("production install %q, want %q", got, c.prod)
				}
			}
			if c.linker == "" {
				return
			}
			rt, _ := p.Stage("runtime")
			deps := rt.Steps[0].Copy
			_, pnpOptions := envValue(p.DefaultTarget().Image.Env, "NODE_OPTIONS")
			if c.linker == "pnp" {
				if deps.Src.Text != "/app" || deps.From.Stage != "prod-deps" || !pnpOptions {
					t.Errorf("PnP runtime copies %+v, NODE_OPTIONS set %v", deps, pnpOptions)
				}
			} else if deps.Src.Text != "/app/node_modules" || pnpOptions {
				t.Errorf("node_modules runtime copies %+v, NODE_OPTIONS set %v", deps, pnpOptions)
			}
		})
	}
}

// Berry's install sees the manifests and yarn's own files only; its
// global cache is a locked cache mount; a committed release needs no
// install step.
func TestBerryInstallSteps(t *testing.T) {
	files := map[string]string{"package.json": withPackageManager("yarn@4.18.1"), "yarn.lock": syncedBerryLock, ".yarnrc.yml": "nodeLinker: node-modules\n"}
	p, err := planFor(t, "node:\n  version: \"24\"\n", files)
	if err != nil {
		t.Fatal(err)
	}
	deps, _ := p.Stage("deps")
	if deps.Steps[0].Name != "corepack install yarn@4.18.1" {
		t.Errorf("on Node 24 yarn comes through corepack: %q", deps.Steps[0].Name)
	}
	cp := deps.Steps[2].Copy
	if got := words(cp.From.Context.Include); got != "package.json yarn.lock .yarnrc.yml .yarn/releases .yarn/plugins .yarn/patches patches" {
		t.Errorf("the install sees %q", got)
	}
	_, run := stepArgs(t, p, "deps", "yarn install")
	var cache plan.Mount
	for _, m := range run.Mounts {
		if m.Type == plan.CacheMount {
			cache = m
		}
	}
	if cache.CacheID != "strata/node/yarn-berry" || cache.Target != "/root/.yarn/berry" || cache.Sharing != plan.SharingLocked {
		t.Errorf("cache %+v", cache)
	}
	if v, _ := envValue(run.Env, "YARN_GLOBAL_FOLDER"); v != "/root/.yarn/berry" {
		t.Errorf("YARN_GLOBAL_FOLDER %q", v)
	}
	if v, _ := envValue(run.Env, "YARN_ENABLE_GLOBAL_CACHE"); v != "true" {
		t.Errorf("YARN_ENABLE_GLOBAL_CACHE %q", v)
	}
	build, _ := p.Stage("build")
	if ex := strings.Join(build.Steps[0].Copy.From.Context.Exclude, " "); !strings.Contains(ex, ".pnp.cjs") || !strings.Contains(ex, ".yarn/cache") {
		t.Errorf("the source copy may overwrite what the install made: excludes %q", ex)
	}

	p, err = planFor(t, "node:\n  version: \"26\"\n", files)
	if err != nil {
		t.Fatal(err)
	}
	if deps, _ := p.Stage("deps"); deps.Steps[0].Name != "npm install --global @yarnpkg/cli-dist@4.18.1" {
		t.Errorf("on Node 26 yarn comes from npm: %q", deps.Steps[0].Name)
	}

	files[".yarnrc.yml"] = "yarnPath: .yarn/releases/yarn-4.18.1.cjs\n"
	files[".yarn/releases/yarn-4.18.1.cjs"] = "// yarn"
	p, err = planFor(t, "", files)
	if err != nil {
		t.Fatal(err)
	}
	deps, _ = p.Stage("deps")
	if deps.Steps[0].Copy == nil || !strings.HasSuffix(words(deps.Steps[0].Copy.From.Context.Include), ".yarn/releases/yarn-4.18.1.cjs") {
		t.Errorf("a committed release needs no install step, and the install sees it: %+v", deps.Steps[0])
	}
	if got := setting(p, "yarn version"); got != ".yarn/releases/yarn-4.18.1.cjs" {
		t.Errorf("yarn version %q", got)
	}
}

// PnP's runtime loads .pnp.cjs (and the ESM loader unless .yarnrc.yml
// turns it off) into every node; a NODE_OPTIONS of run.env is kept.
func TestPnPNodeOptions(t *testing.T) {
	cases := []struct {
		name, rc, desc, want string
	}{
		{"loader", "", "", "--require /app/.pnp.cjs --experimental-loader file:///app/.pnp.loader.mjs"},
		{"no loader", "pnpEnableEsmLoader: false\n", "", "--require /app/.pnp.cjs"},
		{"run.env kept", "pnpEnableEsmLoader: false\n", "run:\n  env:\n    NODE_OPTIONS: --max-old-space-size=512\n", "--require /app/.pnp.cjs --max-old-space-size=512"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := planFor(t, c.desc, map[string]string{"package.json": pkgJSON, "yarn.lock": syncedBerryLock, ".yarnrc.yml": c.rc})
			if err != nil {
				t.Fatal(err)
			}
			env := p.DefaultTarget().Image.Env
			if got, _ := envValue(env, "NODE_OPTIONS"); got != c.want {
				t.Errorf("NODE_OPTIONS %q, want %q", got, c.want)
			}
			n := 0
			for _, e := range env {
				if e.Name == "NODE_OPTIONS" {
					n++
				}
			}
			if n != 1 {
				t.Errorf("NODE_OPTIONS set %d times: %+v", n, env)
			}
			_, run := stepArgs(t, p, "deps", "yarn install")
			_, forced := envValue(run.Env, "YARN_PNP_ENABLE_ESM_LOADER")
			if forced != (c.rc == "") {
				t.Errorf("YARN_PNP_ENABLE_ESM_LOADER set %v with .yarnrc.yml %q", forced, c.rc)
			}
		})
	}
}

// A berry lockfile is checked against package.json; platform-specific
// packages and install scripts decide where installs run.
func TestBerryLockfile(t *testing.T) {
	cases := []struct {
		name, lock, rc, platform, errText string
	}{
		{name: "in sync", lock: syncedBerryLock, platform: "target"},
		{name: "scripts off", lock: syncedBerryLock, rc: "enableScripts: false\n", platform: "build"},
		{name: "platform-specific", lock: berryLockFor(map[string]string{"express": "npm:^5.1.0", "typescript": "npm:^5.9.0"}, "\n\"@esbuild/linux-x64@npm:0.25.0\":\n  resolution: \"@esbuild/linux-x64@npm:0.25.0\"\n  conditions: os=linux & cpu=x64\n"), rc: "enableScripts: false\n", platform: "target"},
		{name: "range changed", lock: berryLockFor(map[string]string{"express": "npm:^4.0.0", "typescript": "npm:^5.9.0"}, ""), errText: "package.json and yarn.lock are out of sync: express is ^5.1.0 in package.json but npm:^4.0.0 in the lockfile (run yarn install and commit yarn.lock)"},
		{name: "missing", lock: berryLockFor(map[string]string{"express": "npm:^5.1.0"}, ""), errText: "typescript is missing from the lockfile"},
		{name: "no root", lock: "__metadata:\n  version: 10\n", errText: "no entry for the root workspace"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := planFor(t, "", map[string]string{"package.json": pkgJSON, "yarn.lock": c.lock, ".yarnrc.yml": c.rc})
			if c.errText != "" {
				var se *spec.Error
				if err == nil || !strings.Contains(err.Error(), c.errText) || !errors.As(err, &se) || se.Rule != "NodeLockfileOutOfSync" {
					t.Fatalf("err = %v, want NodeLockfileOutOfSync %q", err, c.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if deps, _ := p.Stage("deps"); string(deps.Platform) != c.platform {
				t.Errorf("installs run on %s, want %s", deps.Platform, c.platform)
			}
		})
	}
}
