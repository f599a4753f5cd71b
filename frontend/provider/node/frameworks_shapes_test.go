package node

import (
	"slices"
	"strings"
	"testing"

	"github.com/strata-build/strata/frontend/plan"
)

func envOf(p *plan.Plan) map[string]string {
	env := map[string]string{}
	for _, e := range p.DefaultTarget().Image.Env {
		env[e.Name] = e.Value.Text
	}
	return env
}

// buildMounts are the cache mounts of the build stage's steps, and of
// the install steps.
func cacheTargets(t *testing.T, p *plan.Plan, stageName string) []string {
	t.Helper()
	var out []string
	for _, s := range stage(t, p, stageName).Steps {
		if s.Run == nil {
			continue
		}
		for _, m := range s.Run.Mounts {
			if m.Type == plan.CacheMount {
				out = append(out, m.Target)
			}
		}
	}
	return out
}

const angularJSON = `{"projects":{"shop":{"projectType":"application","architect":{"build":{"builder":"@angular/build:application"%s}}},"ui":{"projectType":"library"}}}`

func TestFrameworkShapes(t *testing.T) {
	angularPkg := `{"name":"shop","scripts":{"start":"ng serve","build":"ng build"},"dependencies":{"@angular/core":"^20.0.0"},"devDependencies":{"@angular/build":"^20.0.0"}}`
	cases := []struct {
		name   string
		pkg    string
		files  map[string]string
		desc   string
		static string            // the site the static server serves; "" for a server
		start  string            // the image's command for a server
		env    map[string]string // runtime env it must hold
		noEnv  []string          // and must not
		ports  []string
		caches []string // cache mounts of the build step
	}{
		{name: "angular, default output", pkg: angularPkg,
			files:  map[string]string{"angular.json": strings.Replace(angularJSON, "%s", "", 1)},
			static: "/app/dist/shop/browser", ports: []string{"8080/tcp"}, caches: []string{"/app/.angular/cache"}},
		{name: "angular, outputPath a path", pkg: angularPkg,
			files:  map[string]string{"angular.json": strings.Replace(angularJSON, "%s", `,"options":{"outputPath":"build/site"}`, 1)},
			static: "/app/build/site/browser", caches: []string{"/app/.angular/cache"}},
		{name: "angular, outputPath base and empty browser", pkg: angularPkg,
			files:  map[string]string{"angular.json": strings.Replace(angularJSON, "%s", `,"options":{"outputPath":{"base":"out","browser":""}}`, 1)},
			static: "/app/out", caches: []string{"/app/.angular/cache"}},
		{name: "angular, the browser builder",
			pkg:    strings.Replace(angularPkg, `"@angular/build"`, `"@angular-devkit/build-angular"`, 1),
			files:  map[string]string{"angular.json": strings.Replace(strings.Replace(angularJSON, "@angular/build:application", "@angular-devkit/build-angular:browser", 1), "%s", `,"options":{"outputPath":"dist/legacy"}`, 1)},
			static: "/app/dist/legacy", caches: []string{"/app/.angular/cache"}},
		{name: "nestjs", pkg: `{"name":"api","scripts":{"build":"nest build","start":"nest start","start:prod":"node dist/main"},"dependencies":{"@nestjs/core":"^11.0.0"},"devDependencies":{"@nestjs/cli":"^11.0.0"}}`,
			start: "node dist/main", env: map[string]string{"PORT": "3000"}, ports: []string{"3000/tcp"}},
		{name: "nestjs without start:prod", pkg: `{"name":"api","scripts":{"build":"nest build","start":"nest start"},"dependencies":{"@nestjs/core":"^11.0.0"}}`,
			start: "node dist/main"},
		{name: "fastify", pkg: `{"name":"api","scripts":{"start":"node server.js"},"dependencies":{"fastify":"^5.0.0"}}`,
			start: "node server.js", env: map[string]string{"PORT": "3000", "HOST": "0.0.0.0"}, ports: []string{"3000/tcp"}},
		{name: "express on run.port", pkg: `{"name":"api","scripts":{"start":"node server.js"},"dependencies":{"express":"^5.0.0"}}`, desc: "run:\n  port: 8080\n",
			start: "node server.js", env: map[string]string{"PORT": "8080"}, noEnv: []string{"HOST"}, ports: []string{"8080/tcp"}},
		{name: "a plain server gets no port default", pkg: `{"name":"api","scripts":{"start":"node server.js"}}`,
			start: "node server.js", noEnv: []string{"PORT", "HOST"}},
		{name: "vite, start runs its dev server", pkg: `{"name":"site","scripts":{"build":"vite build","start":"vite"},"devDependencies":{"vite":"^7.0.0"}}`,
			static: "/app/dist", caches: []string{"/app/node_modules/.vite"}},
		{name: "astro", pkg: `{"name":"site","scripts":{"build":"astro build","dev":"astro dev"},"dependencies":{"astro":"^5.0.0"}}`,
			static: "/app/dist", caches: []string{"/app/node_modules/.astro"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{"package.json": c.pkg, "package-lock.json": lockFor(t, c.pkg, nil)}
			for k, v := range c.files {
				files[k] = v
			}
			p, err := planFor(t, c.desc, files)
			if err != nil {
				t.Fatal(err)
			}
			img := p.DefaultTarget().Image
			rt := stage(t, p, "runtime")
			if c.static != "" {
				if n := len(rt.Steps); n != 2 || rt.Steps[1].Copy.Src.Text != c.static {
					t.Errorf("static site: runtime steps %+v, want a copy of %s", rt.Steps, c.static)
				}
			} else if got := words(img.Cmd); got != c.start {
				t.Errorf("cmd %q, want %q", got, c.start)
			}
			env := envOf(p)
			for k, v := range c.env {
				if env[k] != v {
					t.Errorf("env %s=%q, want %q (%v)", k, env[k], v, env)
				}
			}
			for _, k := range c.noEnv {
				if _, ok := env[k]; ok {
					t.Errorf("env holds %s (%v)", k, env)
				}
			}
			if c.ports != nil && !slices.Equal(img.Ports, c.ports) {
				t.Errorf("ports %q, want %q", img.Ports, c.ports)
			}
			if got := cacheTargets(t, p, "build"); !slices.Equal(got, c.caches) {
				t.Errorf("build caches %q, want %q", got, c.caches)
			}
			// Build tools' caches under node_modules never meet an install.
			for _, st := range []string{"deps", "prod-deps"} {
				if _, ok := p.Stage(st); !ok {
					continue
				}
				for _, m := range cacheTargets(t, p, st) {
					if strings.Contains(m, "node_modules") {
						t.Errorf("%s mounts %s while installing", st, m)
					}
				}
			}
		})
	}
}

func TestAngularErrors(t *testing.T) {
	pkg := `{"name":"shop","scripts":{"build":"ng build"},"dependencies":{"@angular/core":"^20.0.0","@angular/build":"^20.0.0"}}`
	for name, c := range map[string]struct{ json, want string }{
		"missing":          {"", "angular.json: missing"},
		"two applications": {`{"projects":{"a":{"projectType":"application"},"b":{"projectType":"application"}}}`, "several applications (a, b)"},
		"no application":   {`{"projects":{"ui":{"projectType":"library"}}}`, "no project with projectType application"},
		"bad outputPath":   {`{"projects":{"a":{"projectType":"application","architect":{"build":{"options":{"outputPath":3}}}}}}`, "outputPath must be a path"},
		"outside":          {`{"projects":{"a":{"projectType":"application","architect":{"build":{"options":{"outputPath":"../x"}}}}}}`, "not inside the app"},
		"broken json":      {`{"projects":`, "angular.json: line 1"},
	} {
		t.Run(name, func(t *testing.T) {
			files := map[string]string{"package.json": pkg, "package-lock.json": lockFor(t, pkg, nil)}
			if c.json != "" {
				files["angular.json"] = c.json
			}
			_, err := planFor(t, "", files)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestSourceCopyLeavesOutTypeScriptState(t *testing.T) {
	p, err := planFor(t, "", map[string]string{"package.json": pkgJSON, "package-lock.json": lockFor(t, pkgJSON, nil)})
	if err != nil {
		t.Fatal(err)
	}
	src := stage(t, p, "build").Steps[0].Copy.From.Context.Exclude
	if !slices.Contains(src, "**/*.tsbuildinfo") {
		t.Errorf("the source copy takes a stale tsbuildinfo along: excludes %q", src)
	}
}
