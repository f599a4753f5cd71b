package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	"github.com/strata-build/strata/frontend/plan"
)

// nextConfigs are the files Next.js reads its config from.
var nextConfigs = []string{"next.config.js", "next.config.mjs", "next.config.ts", "next.config.cjs"}

// nextOutput finds `output: "standalone"` (or "export") in a config file.
var nextOutput = regexp.MustCompile(`output\s*:\s*["'](standalone|export)["']`)

// framework is what Strata knows of the app's framework.
type framework struct {
	name string
	// standalone: Next.js copies what the server needs, node_modules
	// included, into .next/standalone.
	standalone bool
	// caches are build caches under /app, kept across builds.
	caches []string
	env    []plan.Env
	// export: Next.js writes a static site to out/.
	export bool
	// static is where a static-site framework writes the site ("" for
	// the default of staticOutputs).
	static string
}

// resolveFramework detects frameworks from dependencies and config.
func (r *resolver) resolveFramework(ctx context.Context) error {
	switch {
	case r.pkg.isAngular():
		project, out, err := angularOutput(ctx, r, r.appDirRel())
		if err != nil {
			return err
		}
		// The CLI's persistent build cache (on outside CI) survives builds.
		r.fw = &framework{name: "angular", static: out, caches: []string{".angular/cache"}, env: []plan.Env{{Name: "NG_CLI_ANALYTICS", Value: plan.Lit("false")}}}
		r.Set("framework", "angular, project "+project, join(r.appDirRel(), "angular.json")+" (its one application)")
		return nil
	case r.pkg.hasDependency("@nestjs/core"):
		r.fw = &framework{name: "nest"}
		r.Set("framework", "nestjs", "package.json depends on @nestjs/core")
		return nil
	case !r.pkg.hasDependency("next"):
		return nil
	}
	r.fw = &framework{name: "next", caches: []string{".next/cache"},
		env: []plan.Env{{Name: "NEXT_TELEMETRY_DISABLED", Value: plan.Lit("1")}}}
	output, from := "server (next start)", "package.json depends on next"
	for _, f := range nextConfigs {
		dt, err := r.in.Context.ReadFile(ctx, join(r.appDirRel(), f), 1<<20)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return err
		}
		if m := nextOutput.FindSubmatch(dt); m != nil {
			switch string(m[1]) {
			case "standalone":
				r.fw.standalone = true
				output, from = "standalone", f+` says output: "standalone"`
			case "export":
				r.fw.export = true
				output, from = "static export (out/)", f+` says output: "export"`
			}
		}
		break
	}
	r.Set("framework", "next.js, "+output, from)
	return nil
}

// frameworkCacheMounts are the framework's build caches, one cache per app
// (the package name) since they hold that app's build: locked, as two
// builds of one app would write the same files.
func (r *resolver) frameworkCacheMounts() []plan.Mount {
	var out []plan.Mount
	add := func(tool, dir string) {
		id := "strata/node/" + tool + "/" + cacheName(r.pkg.Name) + "/" + dir
		out = append(out, plan.Mount{Type: plan.CacheMount, Target: r.appPath() + "/" + dir, CacheID: id, Sharing: plan.SharingLocked})
	}
	if r.fw != nil {
		for _, c := range r.fw.caches {
			add(r.fw.name, c)
		}
	}
	// Build tools' own caches inside node_modules: mounted for the build
	// only, never while an install writes node_modules.
	for _, c := range toolCaches {
		if r.pkg.hasDependency(c.dep) {
			add(c.dep, c.dir)
		}
	}
	return out
}

// toolCaches are caches build tools keep under node_modules, by the
// dependency that brings the tool: Vite's pre-bundled dependencies,
// Astro's optimised assets and content layer.
var toolCaches = []struct{ dep, dir string }{
	{"vite", "node_modules/.vite"},
	{"astro", "node_modules/.astro"},
}

var unsafeCacheChars = regexp.MustCompile(`[^a-z0-9._-]+`)

func cacheName(pkg string) string {
	name := strings.Trim(unsafeCacheChars.ReplaceAllString(strings.ToLower(pkg), "-"), "-.")
	if name == "" {
		return "app"
	}
	return name
}

// standaloneStep assembles Next.js's standalone output as its docs say:
// the server with its traced node_modules, plus .next/static and public.
// A workspace member's server is traced from the workspace root (where
// Next finds the lockfile), so it sits under the member's path there.
func (r *resolver) standaloneStep() plan.Step {
	run := &plan.Run{Script: plan.Lit(`set -e
cp -r .next/static .next/standalone/.next/static
if [ -d public ]; then cp -r public .next/standalone/public; fi`)}
	if r.ws != nil {
		// The member's path comes in the environment: the script is not
		// rewritten (or quoted) for each path.
		run.Env = []plan.Env{{Name: "STRATA_MEMBER", Value: plan.Lit(r.ws.dir)}}
		run.Script = plan.Lit(`set -e
cd "$STRATA_MEMBER"
out=".next/standalone/$STRATA_MEMBER"
if [ ! -f "$out/server.js" ]; then
  echo "strata: Next.js wrote no $out/server.js: trace from the workspace root (leave outputFileTracingRoot unset, or set it to the root)" >&2
  exit 1
fi
cp -r .next/static "$out/.next/static"
if [ -d public ]; then cp -r public "$out/public"; fi`)
	}
	return plan.Step{Name: "assemble .next/standalone", Run: run}
}

// standaloneRuntime is the runtime of a standalone Next.js app: one layer
// with the server, and node running server.js (from the member's
// directory in a workspace).
func (r *resolver) standaloneRuntime(st *plan.Stage) {
	st.Steps = append(st.Steps, plan.Step{Name: "copy the standalone server", Copy: &plan.Copy{
		From: plan.Source{Stage: "build"}, Src: plan.Lit(r.appPath() + "/.next/standalone"), Dest: plan.Lit(appDir), Link: true,
	}})
}

// staticServer serves built single-page apps: a small, well-known image
// that runs as a non-root user on an unprivileged port.
const (
	staticServer     = "nginxinc/nginx-unprivileged:1.22"
	staticServerUser = "101:101"
	staticRoot       = "/usr/share/nginx/html"
	staticPort       = 8080
)

// staticOutputs are the build output directories of static-site
// frameworks, by the dependency that marks them.
var staticOutputs = []struct{ dep, dir string }{
	{"vite", "dist"},
	{"react-scripts", "build"},
	{"astro", "dist"},
}

// resolveStatic makes an app with no server of its own a static site: a
// Vite, Create React App or Astro build without a start script (or a
// Next.js static export), served by the static server image.
func (r *resolver) resolveStatic(export bool) {
	if r.Spec.Run.Cmd.Set || (r.pkg.Scripts["start"] != "" && !export && !devServer(r.pkg.Scripts["start"])) {
		return
	}
	dir := ""
	switch {
	case export:
		dir = "out"
	case r.fw != nil && r.fw.static != "":
		dir = r.fw.static
	}
	for _, o := range staticOutputs {
		if dir == "" && r.pkg.hasDependency(o.dep) {
			dir = o.dir
			r.fw = &framework{name: o.dep}
		}
	}
	if dir == "" || r.build == nil && !r.Spec.Build.Command.Set {
		return
	}
	r.static = dir
	if r.installPlatform == plan.TargetPlatform {
		// Only the built files reach the image: installs and the build may
		// run natively whatever the lockfile holds.
		r.installPlatform = plan.BuildPlatform
		r.Settings = slices.DeleteFunc(r.Settings, func(s plan.Setting) bool { return s.Key == "install platform" })
		r.Set("install platform", "build", "a static site: no node_modules reaches the runtime image")
	}
	spa := r.cfg.SPA.Or(true)
	why := "no start script: the build output is static"
	if start := r.pkg.Scripts["start"]; devServer(start) {
		why = "scripts.start runs a development server (" + start + "): the build output is static"
	}
	r.Set("static site", dir+" served by "+staticServer, why)
	r.Set("spa fallback", fmt.Sprint(spa), r.At(r.cfg.SPA.Pos))
}

// nginxConfig serves the site; with the SPA fallback every unknown path
// gets index.html, so client-side routes survive a reload.
func (r *resolver) nginxConfig() string {
	fallback := "=404"
	if r.cfg.SPA.Or(true) {
		fallback = "/index.html"
	}
	return fmt.Sprintf(`server {
    listen %d;
    server_name _;
    root %s;
    location / {
        try_files $uri $uri/ %s;
    }
    location = /health {
        access_log off;
        return 200 "ok\n";
    }
}
`, staticPort, staticRoot, fallback)
}

// staticRuntime is the static server with its config and the build output,
// each a linked layer.
func (r *resolver) staticRuntime(st *plan.Stage) {
	st.Steps = append(st.Steps,
		plan.Step{Name: "write the server config", File: &plan.File{
			Path: "/etc/nginx/conf.d/default.conf", Data: r.nginxConfig(), Mode: 0o644, Link: true,
		}},
		plan.Step{Name: "copy the site", Copy: &plan.Copy{
			From: plan.Source{Stage: "build"}, Src: plan.Lit(r.appPath() + "/" + r.static), Dest: plan.Lit(staticRoot), Link: true,
		}},
	)
}

// devServer: a start script that runs a framework's development server,
// which serves nothing in production (its tools are dev dependencies):
// the build output is the site.
func devServer(script string) bool {
	words := strings.Fields(script)
	if len(words) == 0 {
		return false
	}
	switch words[0] {
	case "ng":
		return len(words) > 1 && words[1] == "serve"
	case "vite":
		return len(words) == 1 || words[1] == "dev" || words[1] == "serve" || strings.HasPrefix(words[1], "-")
	case "astro":
		return len(words) > 1 && words[1] == "dev"
	}
	return false
}
