package node

import (
	"context"
	"errors"
	"io/fs"
	"regexp"
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
}

// resolveFramework detects frameworks from dependencies and config.
func (r *resolver) resolveFramework(ctx context.Context) error {
	if !r.pkg.hasDependency("next") {
		return nil
	}
	r.fw = &framework{name: "next", caches: []string{".next/cache"},
		env: []plan.Env{{Name: "NEXT_TELEMETRY_DISABLED", Value: plan.Lit("1")}}}
	output, from := "server (next start)", "package.json depends on next"
	for _, f := range nextConfigs {
		dt, err := r.in.Context.ReadFile(ctx, f, 1<<20)
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
				return r.Spec.Errorf(r.Spec.Run.Base.Pos, "run.base", `use output: "standalone" or remove output: "export" for now`,
					f+` says output: "export" (a static site): Strata does not serve static sites yet`)
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
	if r.fw == nil {
		return nil
	}
	var out []plan.Mount
	for _, c := range r.fw.caches {
		id := "strata/node/" + r.fw.name + "/" + cacheName(r.pkg.Name) + "/" + c
		out = append(out, plan.Mount{Type: plan.CacheMount, Target: appDir + "/" + c, CacheID: id, Sharing: plan.SharingLocked})
	}
	return out
}

var unsafeCacheChars = regexp.MustCompile(`[^a-z0-9._-]+`)

func cacheName(pkg string) string {
	name := strings.Trim(unsafeCacheChars.ReplaceAllString(strings.ToLower(pkg), "-"), "-.")
	if name == "" {
		return "app"
	}
	return name
}

// standaloneSteps assemble Next.js's standalone output as its docs say:
// the server with its traced node_modules, plus .next/static and public.
func standaloneStep() plan.Step {
	return plan.Step{
		Name: "assemble .next/standalone",
		Run: &plan.Run{Script: plan.Lit(`set -e
cp -r .next/static .next/standalone/.next/static
if [ -d public ]; then cp -r public .next/standalone/public; fi`)},
	}
}

// standaloneRuntime is the runtime of a standalone Next.js app: one layer
// with the server, and node running server.js.
func (r *resolver) standaloneRuntime(st *plan.Stage) {
	st.Steps = append(st.Steps, plan.Step{Name: "copy the standalone server", Copy: &plan.Copy{
		From: plan.Source{Stage: "build"}, Src: plan.Lit(appDir + "/.next/standalone"), Dest: plan.Lit(appDir), Link: true,
	}})
}
