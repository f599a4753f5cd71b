package node

import (
	"slices"
	"strings"

	"github.com/strata-build/strata/frontend/plan"
)

// appPath is where the app lives in the builder and the runtime image:
// /app, or the member's directory under it.
func (r *resolver) appPath() string {
	if r.ws == nil {
		return appDir
	}
	return appDir + "/" + r.ws.dir
}

// appDirRel is the app's directory in the context: "" or the member's.
func (r *resolver) appDirRel() string {
	if r.ws == nil {
		return ""
	}
	return r.ws.dir
}

// sourceExcludes are what the source copy leaves out: installed
// dependencies (every member's in a workspace), .git, an .npmrc (it may
// hold a token: it is mounted for installs only) and TypeScript's
// incremental state from the developer's machine, which would make tsc
// skip emitting files the context does not hold (dist/ is ignored).
func (r *resolver) sourceExcludes() []string {
	out := slices.Concat([]string{"node_modules", ".git", ".npmrc", "**/*.tsbuildinfo"}, r.mgr.sourceExclude)
	if r.ws != nil {
		out = slices.Insert(out, 1, "**/node_modules")
	}
	return out
}

// workspaceManifests are the members' package.json files: the install
// sees every member (the lockfile holds them all), never their source.
func (r *resolver) workspaceManifests() []string {
	if r.ws == nil {
		return nil
	}
	var out []string
	for _, m := range r.ws.members {
		out = append(out, m+"/package.json")
	}
	return out
}

// installArgv is the frozen install, narrowed to the member in a
// workspace.
func (r *resolver) installArgv(prod bool) []string {
	args := r.mgr.install(prod)
	if r.ws == nil {
		return args
	}
	return r.mgr.workspace.install(slices.Clone(args), r.ws, prod)
}

// workspaceBuildSteps run the build scripts of the member and the
// workspace packages it needs, dependencies first.
func (r *resolver) workspaceBuildSteps(run *plan.Run) []plan.Step {
	var out []plan.Step
	for _, argv := range r.wsBuild {
		step := *run
		step.Args = plan.Lits(argv...)
		out = append(out, plan.Step{Name: strings.Join(argv, " "), Run: &step})
	}
	return out
}

// workspaceRuntimeSteps copy into the image the production node_modules
// of the member and of the workspace packages it needs, then their built
// files: no other member, nothing of the install's manifests.
func (r *resolver) workspaceRuntimeSteps() []plan.Step {
	w := r.ws
	// The prod install's /app holds the manifests it was given and the
	// node_modules trees it made: everything but those trees is left out.
	exclude := slices.Concat([]string{"package.json", r.lockfile}, r.configFiles)
	if r.mgr.pnp == nil {
		// The manager's own state (yarn 2+'s .yarn); PnP's is the runtime's.
		exclude = append(exclude, r.mgr.appExclude...)
	}
	for _, m := range w.members {
		if slices.Contains(w.runtime, m) {
			exclude = append(exclude, m+"/package.json")
		} else {
			exclude = append(exclude, m)
		}
	}
	name := "copy production node_modules"
	if r.mgr.pnp != nil {
		name = "copy the production packages (PnP)"
	}
	steps := []plan.Step{{Name: name, Copy: &plan.Copy{
		From: plan.Source{Stage: "prod-deps"}, Src: plan.Lit(appDir), Dest: plan.Lit(appDir), Link: true, Exclude: exclude,
	}}}
	for _, m := range w.runtime {
		steps = append(steps, plan.Step{Name: "copy " + m, Copy: &plan.Copy{
			From: plan.Source{Stage: "build"}, Src: plan.Lit(appDir + "/" + m), Dest: plan.Lit(appDir + "/" + m), Link: true, Exclude: []string{"node_modules"},
		}})
	}
	return steps
}

// pruneArgv is the manager's prune, narrowed to the member where the
// manager can.
func (r *resolver) pruneArgv() []string {
	if r.ws != nil && r.mgr.workspace.prune != nil {
		return r.mgr.workspace.prune(r.ws)
	}
	return r.mgr.prune
}
