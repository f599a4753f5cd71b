package node

import (
	"errors"
	"strings"
	"testing"

	"github.com/strata-build/strata/frontend/spec"
)

// bunLockFor is a bun.lock with trailing commas, as bun writes it.
func bunLockFor(deps, devDeps, packages string) string {
	return `{
  "lockfileVersion": 1,
  "workspaces": {
    "": {
      "name": "app",
      "dependencies": {
        ` + deps + `
      },
      "devDependencies": {
        ` + devDeps + `
      },
    },
  },
  "packages": {
    ` + packages + `
  }
}
`
}

// bun is found from bun.lock, installed with npm in a step of its own on
// every Node line (corepack does not know it), installs frozen with its
// cache on a cache mount; a start script that runs bun gets bun into the
// runtime.
func TestBun(t *testing.T) {
	lock := bunLockFor(`"express": "^5.1.0",`, `"typescript": "^5.9.0",`, `"express": ["express@5.1.0", "", {}, "sha512-x"],`)
	cases := []struct {
		name, pkg, lock, desc string
		cmd, errText          string
		bunInRuntime          bool
	}{
		{name: "plain node start", pkg: pkgJSON, lock: lock, cmd: "node dist/server.js"},
		{name: "bun start", pkg: strings.Replace(pkgJSON, "node dist/server.js", "bun src/server.ts", 1), lock: lock, cmd: "bun src/server.ts", bunInRuntime: true},
		{name: "bun start, shell", pkg: strings.Replace(pkgJSON, "node dist/server.js", "bun run migrate && bun src/server.ts", 1), lock: lock, cmd: "bun run start", bunInRuntime: true},
		{name: "on Node 22 too with npm", pkg: withPackageManager("bun@1.2.3"), lock: lock, desc: "node:\n  version: \"22\"\n", cmd: "node dist/server.js"},
		{name: "out of sync", pkg: pkgJSON, lock: bunLockFor(`"express": "^4.0.0",`, `"typescript": "^5.9.0",`, ""), errText: "package.json and bun.lock are out of sync: dependencies express is ^5.1.0 in package.json but ^4.0.0 in the lockfile (run bun install and commit bun.lock)"},
		{name: "broken", pkg: pkgJSON, lock: "{\n  \"workspaces\": 12 34\n}", errText: "bun.lock: line 2:"},
		{name: "binary lockfile", pkg: pkgJSON, errText: "bun.lockb: bun's binary lockfile, which Strata cannot check against package.json (run `bun install --save-text-lockfile`"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{"package.json": c.pkg, "bun.lock": c.lock}
			if c.lock == "" {
				delete(files, "bun.lock")
				files["bun.lockb"] = "\x00bun"
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
			deps, _ := p.Stage("deps")
			if !strings.HasPrefix(deps.Steps[0].Name, "npm install --global bun@") {
				t.Errorf("bun comes from %q", deps.Steps[0].Name)
			}
			got, run := stepArgs(t, p, "deps", "bun install")
			if got != "bun install --frozen-lockfile --backend=copyfile" {
				t.Errorf("install %q", got)
			}
			if v, _ := envValue(run.Env, "BUN_INSTALL_CACHE_DIR"); v != "/root/.bun/install/cache" || run.Mounts[0].CacheID != "strata/node/bun" || run.Mounts[0].Target != v {
				t.Errorf("cache %q %+v", v, run.Mounts[0])
			}
			if prod, _ := stepArgs(t, p, "prod-deps", "bun install"); prod != got+" --production" {
				t.Errorf("production install %q", prod)
			}
			if cmd := words(p.DefaultTarget().Image.Cmd); cmd != c.cmd {
				t.Errorf("cmd %q, want %q", cmd, c.cmd)
			}
			rt, _ := p.Stage("runtime")
			copied := rt.Steps[0].Copy.Dest.Text == "/usr/local/bin/bun"
			if copied != c.bunInRuntime || deps.Platform != "target" {
				t.Errorf("bun in the runtime %v, want %v (installs on %s)", copied, c.bunInRuntime, deps.Platform)
			}
		})
	}
}

// The lockfile rules understand yarn 2+ and bun lockfiles: their errors
// carry the rule, so --call=check reports them as findings.
func TestBerryAndBunLockfileRules(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		rule  string
	}{
		{"bun out of sync", map[string]string{"bun.lock": bunLockFor(`"express": "^5.1.0",`, "", "")}, "NodeLockfileOutOfSync"},
		{"berry out of sync", map[string]string{"yarn.lock": berryLockFor(map[string]string{"express": "npm:^5.1.0"}, "")}, "NodeLockfileOutOfSync"},
		{"yarn 1 lockfile in a yarn 2+ app", map[string]string{"yarn.lock": yarn1Lock, ".yarnrc.yml": "nodeLinker: node-modules\n"}, "NodeLockfilesConflict"},
		{"bun.lock and bun.lockb", map[string]string{"bun.lock": bunLockFor("", "", ""), "bun.lockb": "\x00"}, "NodeLockfilesConflict"},
		{"bun pinned, no lockfile", map[string]string{"package.json": withPackageManager("bun@1.4.5")}, "NodeLockfileMissing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, ok := c.files["package.json"]; !ok {
				c.files["package.json"] = pkgJSON
			}
			_, err := planFor(t, "", c.files)
			var se *spec.Error
			if !errors.As(err, &se) || se.Rule != c.rule {
				t.Errorf("err = %v, want %s", err, c.rule)
			}
		})
	}
}
