package node

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/spec"
)

// monorepo is a workspace with a web app depending on a library, another
// app, and the manager's files; root is the root package.json.
func monorepo(root string, manager map[string]string) map[string]string {
	files := map[string]string{
		"package.json":                  root,
		"apps/web/package.json":         `{"name":"@x/web","scripts":{"start":"node server.js","build":"node build.js"},"dependencies":{"@x/greet":"workspace:*","ms":"^2.1.3"},"devDependencies":{"@x/testkit":"workspace:*"}}`,
		"apps/web/server.js":            "// source",
		"apps/admin/package.json":       `{"name":"@x/admin","scripts":{"start":"node index.js"},"dependencies":{"is-number":"^7.0.0"}}`,
		"packages/greet/package.json":   `{"name":"@x/greet","scripts":{"build":"tsc"},"dependencies":{"@x/util":"workspace:^"},"devDependencies":{"typescript":"^5.9.3"}}`,
		"packages/util/package.json":    `{"name":"@x/util"}`,
		"packages/testkit/package.json": `{"name":"@x/testkit","scripts":{"build":"tsc"}}`,
		"packages/notes.md":             "not a member",
	}
	maps.Copy(files, manager)
	return files
}

const pnpmRoot = `{"name":"mono","private":true,"packageManager":"pnpm@10.34.9"}`

var pnpmFiles = map[string]string{
	"pnpm-lock.yaml":      "lockfileVersion: '9.0'\nimporters:\n  .: {}\n",
	"pnpm-workspace.yaml": "packages:\n  - apps/*\n  - packages/*\n",
}

func stage(t *testing.T, p *plan.Plan, name string) plan.Stage {
	t.Helper()
	for _, st := range p.Stages {
		if st.Name == name {
			return st
		}
	}
	t.Fatalf("no stage %s", name)
	return plan.Stage{}
}

func runs(st plan.Stage) []string {
	var out []string
	for _, s := range st.Steps {
		if s.Run != nil {
			out = append(out, words(s.Run.Args))
		}
	}
	return out
}

func TestWorkspaceMemberPlans(t *testing.T) {
	npmRoot := `{"name":"mono","private":true,"workspaces":["apps/*","packages/*"]}`
	yarnRoot := `{"name":"mono","private":true,"workspaces":{"packages":["apps/*","packages/*"]}}`
	berryRoot := `{"name":"mono","private":true,"packageManager":"yarn@4.18.1","workspaces":["apps/*","packages/*"]}`
	cases := []struct {
		name    string
		files   map[string]string
		install string // the build's install
		prod    string // the runtime's install
		build   []string
		test    string
	}{
		{
			name:    "pnpm",
			files:   monorepo(pnpmRoot, pnpmFiles),
			install: "--filter @x/web... --filter .",
			prod:    "--prod --filter @x/web...",
			build:   []string{"pnpm --filter @x/web... run build"},
			test:    "pnpm --filter @x/web run test",
		},
		{
			name:    "npm",
			files:   monorepo(strings.ReplaceAll(npmRoot, "workspace:", ""), map[string]string{"package-lock.json": lockFor(t, npmRoot, nil)}),
			install: "--include=dev --workspace packages/util --workspace packages/greet --workspace packages/testkit --workspace apps/web --include-workspace-root",
			prod:    "--omit=dev --workspace apps/web --workspace packages/greet --workspace packages/util",
			build:   []string{"npm run build --workspace packages/greet", "npm run build --workspace packages/testkit", "npm run build --workspace apps/web"},
			test:    "npm run test --workspace apps/web",
		},
		{
			name:    "yarn 1",
			files:   monorepo(yarnRoot, map[string]string{"yarn.lock": "# yarn lockfile v1\n"}),
			install: "--production=false",
			prod:    "--production=true",
			build:   []string{"yarn workspace @x/greet run build", "yarn workspace @x/testkit run build", "yarn workspace @x/web run build"},
			test:    "yarn workspace @x/web run test",
		},
		{
			// Installs run on the target (berry lockfiles record no install
			// scripts), so the production install is a focus of the build's.
			name: "yarn 4",
			files: monorepo(berryRoot, map[string]string{
				"yarn.lock":   "__metadata:\n  version: 8\n\n\"mono@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"mono@workspace:.\"\n",
				".yarnrc.yml": "nodeLinker: node-modules\n",
			}),
			install: "yarn install --immutable",
			prod:    "yarn workspaces focus @x/web --production",
			build:   []string{"yarn workspace @x/greet run build", "yarn workspace @x/testkit run build", "yarn workspace @x/web run build"},
			test:    "yarn workspace @x/web run test",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := planFor(t, "node:\n  workspace: apps/web/\n", c.files)
			if err != nil {
				t.Fatal(err)
			}
			deps := stage(t, p, "deps")
			if got := runs(deps); !strings.HasSuffix(got[len(got)-1], c.install) {
				t.Errorf("install %q, want it to end with %q", got[len(got)-1], c.install)
			}
			prod := runs(stage(t, p, "prod-deps"))
			if strings.HasPrefix(prod[len(prod)-1], "rm -f node_modules/") {
				prod = prod[:len(prod)-1] // pnpm's time stamps, dropped after the install
			}
			if !strings.HasSuffix(prod[len(prod)-1], c.prod) {
				t.Errorf("production install %q, want it to end with %q", prod[len(prod)-1], c.prod)
			}
			// The install sees every member's package.json, no source.
			var copied string
			for _, s := range deps.Steps {
				if s.Copy != nil {
					copied = words(s.Copy.From.Context.Include)
				}
			}
			for _, m := range []string{"apps/web", "apps/admin", "packages/greet", "packages/util", "packages/testkit"} {
				if !strings.Contains(copied, m+"/package.json") {
					t.Errorf("the install does not see %s/package.json: %s", m, copied)
				}
			}
			if strings.Contains(copied, "server.js") {
				t.Errorf("the install sees source: %s", copied)
			}
			if got := runs(stage(t, p, "build")); !slices.Equal(got, c.build) {
				t.Errorf("build steps %q, want %q", got, c.build)
			}
			if got := runs(stage(t, p, "test")); len(got) != 1 || got[0] != c.test {
				t.Errorf("test %q, want %q", got, c.test)
			}
			// The image: production node_modules, then the member and the
			// workspace packages it needs at run time; no other member.
			var copies []string
			for _, s := range stage(t, p, "runtime").Steps {
				copies = append(copies, s.Copy.Src.Text+" from "+s.Copy.From.Stage)
			}
			want := []string{"/app from prod-deps", "/app/apps/web from build", "/app/packages/greet from build", "/app/packages/util from build"}
			if !slices.Equal(copies, want) {
				t.Errorf("runtime copies %q, want %q", copies, want)
			}
			nm := stage(t, p, "runtime").Steps[0].Copy.Exclude
			for _, x := range []string{"apps/admin", "packages/testkit", "apps/web/package.json", "package.json"} {
				if !slices.Contains(nm, x) {
					t.Errorf("the node_modules copy does not leave out %s: %q", x, nm)
				}
			}
			img := p.Targets[len(p.Targets)-1].Image
			if img.WorkingDir != "/app/apps/web" || words(img.Cmd) != "node server.js" || img.Labels["org.opencontainers.image.title"] != "@x/web" {
				t.Errorf("workdir %q cmd %q labels %v", img.WorkingDir, words(img.Cmd), img.Labels)
			}
		})
	}
}

func TestWorkspaceMembersFromGlobs(t *testing.T) {
	files := monorepo(pnpmRoot, map[string]string{
		"pnpm-lock.yaml":                       pnpmFiles["pnpm-lock.yaml"],
		"pnpm-workspace.yaml":                  "packages:\n  - apps/**\n  - packages/*\n  - '!packages/testkit'\n",
		"apps/nested/deep/package.json":        `{"name":"@x/deep"}`,
		"apps/web/node_modules/a/package.json": `{"name":"a"}`,
	})
	delete(files, "packages/testkit/package.json") // excluded anyway; web's devDependency becomes a registry one
	files["packages/testkit/package.json"] = `{"name":"@x/testkit"}`
	p, err := planFor(t, "node:\n  workspace: apps/nested/deep\nrun:\n  cmd: [node, x.js]\n", files)
	if err != nil {
		t.Fatal(err)
	}
	var copied string
	for _, s := range stage(t, p, "deps").Steps {
		if s.Copy != nil {
			copied = words(s.Copy.From.Context.Include)
		}
	}
	want := "package.json pnpm-lock.yaml pnpm-workspace.yaml apps/admin/package.json apps/nested/deep/package.json apps/web/package.json packages/greet/package.json packages/util/package.json"
	if copied != want {
		t.Errorf("the install sees %q, want %q", copied, want)
	}
}

func TestWorkspaceErrors(t *testing.T) {
	cases := []struct {
		name, desc string
		files      map[string]string
		want       []string
	}{
		{"not a member", "node:\n  workspace: apps/wbe\n", monorepo(pnpmRoot, pnpmFiles),
			[]string{"Dockerfile:2:14", "node.workspace", "apps/wbe is not a member", "did you mean `apps/web`?"}},
		{"outside the context", "node:\n  workspace: ../web\n", monorepo(pnpmRoot, pnpmFiles),
			[]string{"Dockerfile:2:14", "not a directory inside the build context"}},
		{"no workspaces", "node:\n  workspace: apps/web\n", monorepo(pnpmRoot, map[string]string{"pnpm-lock.yaml": pnpmFiles["pnpm-lock.yaml"]}),
			[]string{"Dockerfile:2:14", "pnpm-workspace.yaml lists no packages"}},
		{"a member without a name", "node:\n  workspace: packages/nameless\n", monorepo(pnpmRoot, map[string]string{
			"pnpm-lock.yaml": pnpmFiles["pnpm-lock.yaml"], "pnpm-workspace.yaml": pnpmFiles["pnpm-workspace.yaml"], "packages/nameless/package.json": `{}`}),
			[]string{"packages/nameless/package.json: no name"}},
		{"zero-config on a workspace root", "", monorepo(pnpmRoot, pnpmFiles),
			[]string{"workspace root with no start script", "apps/admin, apps/web, packages/greet, packages/testkit, packages/util", "set `node: {workspace: apps/admin}`"}},
		{"a pattern outside the context", "node:\n  workspace: apps/web\n", monorepo(pnpmRoot, map[string]string{
			"pnpm-lock.yaml": pnpmFiles["pnpm-lock.yaml"], "pnpm-workspace.yaml": "packages:\n  - ../libs/*\n"}),
			[]string{"pnpm-workspace.yaml packages", "outside the build context"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := planFor(t, c.desc, c.files)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			var se *spec.Error
			if strings.HasPrefix(c.want[0], "Dockerfile:") && !errors.As(err, &se) {
				t.Errorf("%T is not a positioned error", err)
			}
		})
	}
}

func TestWorkspaceMemberFrameworks(t *testing.T) {
	files := monorepo(pnpmRoot, pnpmFiles)
	files["apps/web/package.json"] = `{"name":"@x/web","scripts":{"build":"vite build"},"dependencies":{"@x/greet":"workspace:*"},"devDependencies":{"vite":"^7.0.0"}}`
	p, err := planFor(t, "node:\n  workspace: apps/web\n", files)
	if err != nil {
		t.Fatal(err)
	}
	rt := stage(t, p, "runtime")
	if len(rt.Steps) != 2 || rt.Steps[1].Copy.Src.Text != "/app/apps/web/dist" {
		t.Errorf("a Vite member: runtime %+v", rt.Steps)
	}
	if got := cacheTargets(t, p, "build"); !slices.Equal(got, []string{"/app/apps/web/node_modules/.vite"}) {
		t.Errorf("build caches %q", got)
	}

	files["apps/web/package.json"] = `{"name":"@x/web","scripts":{"build":"next build","start":"next start"},"dependencies":{"next":"16.0.0"}}`
	files["apps/web/next.config.mjs"] = `export default { output: "standalone" };`
	// Standalone Next in a member: traced from the workspace root, so the
	// server sits under the member's path in .next/standalone; no
	// production install, the image is that one tree.
	p, err = planFor(t, "node:\n  workspace: apps/web\n", files)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range p.Stages {
		if st.Name == "prod-deps" {
			t.Error("a standalone member has a production install")
		}
	}
	build := stage(t, p, "build").Steps
	assemble := build[len(build)-1].Run
	if len(assemble.Env) != 1 || assemble.Env[0].Value.Text != "apps/web" || !strings.Contains(assemble.Script.Text, `out=".next/standalone/$STRATA_MEMBER"`) {
		t.Errorf("assemble step %+v", assemble)
	}
	rt = stage(t, p, "runtime")
	img := p.Targets[len(p.Targets)-1].Image
	if len(rt.Steps) != 1 || rt.Steps[0].Copy.Src.Text != "/app/apps/web/.next/standalone" || rt.Steps[0].Copy.Dest.Text != "/app" || img.WorkingDir != "/app/apps/web" || words(img.Cmd) != "node server.js" {
		t.Errorf("standalone member: runtime %+v, workdir %q, cmd %q", rt.Steps, img.WorkingDir, words(img.Cmd))
	}
}
