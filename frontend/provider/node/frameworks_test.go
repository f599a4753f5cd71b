package node

import (
	"strings"
	"testing"

	"github.com/strata-build/strata/frontend/plan"
)

func TestNextJS(t *testing.T) {
	pkg := `{"name":"@acme/Web App","scripts":{"build":"next build","start":"next start"},"dependencies":{"next":"16.4.6"}}`
	files := func(config string) map[string]string {
		f := map[string]string{"package.json": pkg, "package-lock.json": lockFor(t, pkg, nil)}
		if config != "" {
			f["next.config.mjs"] = config
		}
		return f
	}
	p, err := planFor(t, "", files(`export default { output: "standalone" };`))
	if err != nil {
		t.Fatal(err)
	}
	if setting(p, "framework") != "next.js, standalone" || setting(p, "start") != "node server.js" {
		t.Errorf("settings %+v", p.Settings)
	}
	if _, ok := p.Stage("prod-deps"); ok {
		t.Error("standalone output carries its own node_modules: no production install")
	}
	build, _ := p.Stage("build")
	var cache *plan.Mount
	for i, m := range build.Steps[1].Run.Mounts {
		if m.Target == "/app/.next/cache" {
			cache = &build.Steps[1].Run.Mounts[i]
		}
	}
	if cache == nil || cache.CacheID != "strata/node/next/acme-web-app/.next/cache" || cache.Sharing != plan.SharingLocked {
		t.Errorf("next cache %+v", cache)
	}
	if last := build.Steps[len(build.Steps)-1]; last.Run == nil || !strings.Contains(last.Run.Script.Text, "cp -r .next/static .next/standalone/.next/static") {
		t.Errorf("last build step %+v", last)
	}
	rt, _ := p.Stage("runtime")
	if len(rt.Steps) != 1 || rt.Steps[0].Copy.Src.Text != "/app/.next/standalone" {
		t.Errorf("runtime %+v", rt.Steps)
	}
	env := map[string]string{}
	for _, e := range p.DefaultTarget().Image.Env {
		env[e.Name] = e.Value.Text
	}
	if env["HOSTNAME"] != "0.0.0.0" || env["PORT"] != "3000" || env["NEXT_TELEMETRY_DISABLED"] != "1" {
		t.Errorf("env %v", env)
	}

	// Without standalone output: next start with production dependencies.
	p, err = planFor(t, "run:\n  port: 8080\n", files(""))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Stage("prod-deps"); !ok || setting(p, "start") != "npm run start" {
		t.Errorf("next start: %+v", p.Settings)
	}
	for _, e := range p.DefaultTarget().Image.Env {
		if e.Name == "PORT" && e.Value.Text != "8080" {
			t.Errorf("PORT %q, want run.port", e.Value.Text)
		}
	}
	// A static export is a static site: out/ served by the static server.
	p, err = planFor(t, "", files(`module.exports = { output: 'export' }`))
	if err != nil {
		t.Fatal(err)
	}
	rt, _ = p.Stage("runtime")
	if rt.From.Image != staticServer || rt.Steps[1].Copy.Src.Text != "/app/out" {
		t.Errorf("static export runtime %+v", rt)
	}
}

// A Vite app without a start script is a static site: its dist/ and an
// nginx config with the SPA fallback (unless node.spa is false), on the
// unprivileged static server, installed natively.
func TestStaticSite(t *testing.T) {
	pkg := `{"name":"web","scripts":{"build":"vite build"},"devDependencies":{"vite":"7.3.1"}}`
	lock := lockFor(t, pkg, map[string]any{"node_modules/@esbuild/linux-arm64": map[string]any{"version": "0.25.0", "os": []string{"linux"}, "cpu": []string{"arm64"}}})
	files := map[string]string{"package.json": pkg, "package-lock.json": lock}
	p, err := planFor(t, "", files)
	if err != nil {
		t.Fatal(err)
	}
	if deps, _ := p.Stage("deps"); deps.Platform != plan.BuildPlatform {
		t.Errorf("a static site installs on %s", deps.Platform)
	}
	rt, _ := p.Stage("runtime")
	conf := rt.Steps[0].File
	if rt.From.Image != staticServer || conf == nil || !strings.Contains(conf.Data, "try_files $uri $uri/ /index.html;") || rt.Steps[1].Copy.Src.Text != "/app/dist" {
		t.Errorf("runtime %+v", rt)
	}
	img := p.DefaultTarget().Image
	if img.User != plan.Lit(staticServerUser) || img.Cmd != nil || img.Entrypoint != nil || len(img.Ports) != 1 || img.Ports[0] != "8080/tcp" {
		t.Errorf("config %+v: the server's own command and user", img)
	}
	if _, ok := p.Stage("prod-deps"); ok {
		t.Error("a static site needs no production dependencies")
	}
	p, err = planFor(t, "node:\n  spa: false\n", files)
	if err != nil {
		t.Fatal(err)
	}
	if rt, _ := p.Stage("runtime"); !strings.Contains(rt.Steps[0].File.Data, "try_files $uri $uri/ =404;") {
		t.Errorf("spa: false config %s", rt.Steps[0].File.Data)
	}
}

func TestPnpmLock(t *testing.T) {
	pkg := `{"scripts":{"start":"node server.js"},"dependencies":{"ms":"^2.1.3"},"devDependencies":{"is-number":"^7.0.0"},"pnpm":{"onlyBuiltDependencies":["esbuild"]}}`
	lock := "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      ms:\n        specifier: ^2.1.3\n        version: 2.1.3\n    devDependencies:\n      is-number:\n        specifier: ^7.0.0\n        version: 7.0.0\n"
	p, err := planFor(t, "", map[string]string{"package.json": pkg, "pnpm-lock.yaml": lock, "pnpm-workspace.yaml": "packages: []\n"})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := p.Setting("install platform"); !strings.Contains(s.Source, "esbuild may run its build script") {
		t.Errorf("settings %+v", p.Settings)
	}
	deps, _ := p.Stage("deps")
	if inc := deps.Steps[1].Copy.From.Context.Include; len(inc) != 3 || inc[2].Text != "pnpm-workspace.yaml" {
		t.Errorf("install copies %+v", inc)
	}
	bad := strings.Replace(lock, "^2.1.3", "^2.0.0", 1)
	if _, err := planFor(t, "", map[string]string{"package.json": pkg, "pnpm-lock.yaml": bad}); err == nil || !strings.Contains(err.Error(), "ms is ^2.1.3 in package.json but ^2.0.0 in the lockfile (run pnpm install") {
		t.Errorf("out of sync: %v", err)
	}
}
