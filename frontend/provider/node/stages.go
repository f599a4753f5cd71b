package node

import (
	"slices"
	"strconv"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/provider"
)

// Paths in the builder.
const (
	appDir = "/app"
	// nodeUser is the official images' `node` user, by id so that
	// runAsNonRoot checks can verify it.
	nodeUser = "1000:1000"
)

// installArgs pass through from --build-arg to the install steps only: the
// registry settings (yarn 2+ refuses a plain-http registry whose host
// YARN_UNSAFE_HTTP_WHITELIST does not name), and npm's log level for seeing
// what an install fetched.
var installArgs = []string{"NPM_CONFIG_REGISTRY", "NPM_CONFIG_STRICT_SSL", "NPM_CONFIG_CAFILE", "NPM_CONFIG_LOGLEVEL", "COREPACK_NPM_REGISTRY", "YARN_UNSAFE_HTTP_WHITELIST"}

// corepackLastMajor is the last Node release line that ships corepack.
const corepackLastMajor = 24

func (r *resolver) plan() *plan.Plan {
	p := &plan.Plan{Provider: "node", Settings: r.Settings, Args: provider.Args(r.Spec)}
	provider.DeclarePassThrough(p, installArgs)
	p.Stages = []plan.Stage{r.depsStage(), r.buildStage()}
	if r.static == "" && (r.fw == nil || !r.fw.standalone) {
		p.Stages = append(p.Stages, r.prodDepsStage())
	}
	p.Stages = append(p.Stages, r.testStage(), r.runtimeStage())
	runtime := provider.RuntimeImage(r.Spec, r.start, r.base)
	runtime.WorkingDir = r.appPath()
	if r.pkg.Name != "" {
		runtime.Labels["org.opencontainers.image.title"] = r.pkg.Name
	}
	defaults := []plan.Env{{Name: "NODE_ENV", Value: plan.Lit("production")}}
	switch {
	case r.static != "":
		// The static server's own command and user serve the site.
		defaults, runtime.WorkingDir = nil, staticRoot
		if !r.Spec.Run.Port.Set {
			runtime.Ports = []string{strconv.Itoa(staticPort) + "/tcp"}
		}
	case r.fw != nil && r.fw.name == "next":
		// Next's server reads its address from the environment.
		port := "3000"
		if r.Spec.Run.Port.Set {
			port = strconv.Itoa(r.Spec.Run.Port.V)
		} else {
			runtime.Ports = []string{"3000/tcp"}
		}
		defaults = append(defaults, plan.Env{Name: "HOSTNAME", Value: plan.Lit("0.0.0.0")}, plan.Env{Name: "PORT", Value: plan.Lit(port)})
		defaults = append(defaults, r.fw.env...)
	default:
		defaults = append(defaults, r.serverDefaults(&runtime)...)
	}
	if r.mgr.pnp != nil && r.static == "" {
		defaults = r.pnpNodeOptions(&runtime, defaults)
	}
	// run.env, already in runtime.Env, wins over the defaults.
	defaults = slices.DeleteFunc(defaults, func(d plan.Env) bool {
		return slices.ContainsFunc(runtime.Env, func(e plan.Env) bool { return e.Name == d.Name })
	})
	runtime.Env = append(defaults, runtime.Env...)
	p.Targets = []plan.Target{
		{Name: "build", Stage: "build", Description: "the builder with dependencies, source and build output in /app", Image: plan.Image{WorkingDir: appDir}},
		{Name: "test", Stage: "test", Description: "the test script with the build's dependencies", Image: plan.Image{WorkingDir: appDir}},
		{Name: "runtime", Stage: "runtime", Default: true, Description: "the runtime image", Image: runtime},
	}
	return p
}

// installStage is a builder with the package manager and the manifests in
// /app: package.json, the lockfile and the manager's config only, so
// editing source never re-runs an install.
func (r *resolver) installStage(name string) plan.Stage {
	st := plan.Stage{
		Name:     name,
		From:     plan.FromImage(r.builderImage(), "node.version", r.cfg.Version.Pos),
		Platform: r.installPlatform,
		Workdir:  appDir,
	}
	st.Steps = append(st.Steps, r.managerSteps()...)
	st.Steps = append(st.Steps, plan.Step{
		Name: "copy package.json and " + r.lockfile,
		Copy: &plan.Copy{
			From: plan.Source{Context: &plan.ContextFilter{Include: plan.Lits(slices.Concat([]string{"package.json", r.lockfile}, r.configFiles, r.workspaceManifests())...)}},
			Src:  plan.Lit("/"), Dest: plan.Lit(appDir),
		},
	})
	return st
}

// managerSteps install the pinned package manager in a step of its own,
// cached on its version: through corepack where the Node image ships it,
// else with npm.
func (r *resolver) managerSteps() []plan.Step {
	if r.mgrVersion == "" {
		return nil
	}
	ref := r.manager + "@" + r.mgrVersion
	if r.version.parts[0] <= corepackLastMajor && !r.mgr.noCorepack {
		return []plan.Step{{
			Name: "corepack install " + ref,
			Run: plan.TrustCA(&plan.Run{
				Args: plan.Lits("corepack", "install", "--global", ref),
				Env: []plan.Env{
					{Name: "COREPACK_ENABLE_DOWNLOAD_PROMPT", Value: plan.Lit("0")},
					{Name: "COREPACK_NPM_REGISTRY", Value: plan.Tmpl("${COREPACK_NPM_REGISTRY}"), IfSet: true},
				},
			}),
		}, {
			Name: "corepack enable " + r.manager,
			Run:  &plan.Run{Args: plan.Lits("corepack", "enable", r.manager)},
		}}
	}
	npm := managerTable["npm"]
	if r.mgr.npmPackage != "" {
		ref = r.mgr.npmPackage + "@" + r.mgrVersion
	}
	return []plan.Step{{
		Name: "npm install --global " + ref,
		Run: plan.TrustCA(&plan.Run{
			Args:   plan.Lits("npm", "install", "--global", "--no-audit", "--no-fund", ref),
			Env:    r.registryEnv(npm),
			Mounts: []plan.Mount{npm.cache},
		}),
	}}
}

// registryEnv points a manager at its cache and passes the registry args.
func (r *resolver) registryEnv(m *manager) []plan.Env {
	return slices.Concat(m.env, []plan.Env{
		// Native addons build against the headers of the Node install:
		// nothing is downloaded from the Node project at build time.
		{Name: "npm_config_nodedir", Value: plan.Lit("/usr/local")},
		{Name: "npm_config_update_notifier", Value: plan.Lit("false")},
	}, provider.PassThroughEnv(installArgs))
}

// installMounts are what the manager reads beside the manifests: its
// cache, the credentials, the project's .npmrc and the description's
// build mounts. A prune reads the same config as the install it prunes.
func (r *resolver) installMounts() []plan.Mount {
	mounts := []plan.Mount{
		r.mgr.cache,
		// Tokens come as secrets, never args or layers: a whole .npmrc, or
		// NPM_TOKEN for an .npmrc that says ${NPM_TOKEN}.
		{Type: plan.SecretMount, ID: "npmrc", Target: "/root/.npmrc"},
		{Type: plan.SecretMount, ID: "NPM_TOKEN", Env: "NPM_TOKEN"},
	}
	if r.hasNpmrc {
		mounts = append(mounts, plan.Mount{Type: plan.BindMount, Target: appDir + "/.npmrc",
			From: &plan.Source{Context: &plan.ContextFilter{Include: plan.Lits(".npmrc")}, Path: ".npmrc"}})
	}
	return append(mounts, provider.BuildMounts(r.Spec, "node")...)
}

// install is a frozen install with the manager's cache on a cache mount:
// it fails rather than change the lockfile.
func (r *resolver) install(prod bool) plan.Step {
	args := r.installArgv(prod)
	name := r.manager + " install"
	if r.manager == "npm" {
		name = "npm ci"
	}
	if prod {
		name += " (production)"
	}
	if r.mgr.stepName != nil {
		name = r.mgr.stepName(prod)
	}
	run := plan.TrustCA(&plan.Run{
		Args:   plan.Lits(args...),
		Env:    r.registryEnv(r.mgr),
		Mounts: r.installMounts(),
	})
	if r.mgr.damaged != nil {
		run = plan.Recoverable(run, *r.mgr.damaged)
	}
	return plan.Step{Name: name, Run: run}
}

func (r *resolver) depsStage() plan.Stage {
	st := r.installStage("deps")
	// node_modules and the lockfile, dev dependencies included.
	st.Scan = true
	if r.Spec.Build.Packages.Set {
		st.Steps = append([]plan.Step{provider.AptStep(r.Spec.Build.Packages)}, st.Steps...)
	}
	st.Steps = append(st.Steps, r.install(false))
	return st
}

// prodDepsStage makes the production dependencies in a stage of its own:
// it depends on the manifests only, so it runs beside the build and a
// source edit never touches it. The build's node_modules is pruned of dev
// dependencies where the manager's prune is cheaper than a second install
// (npm, outside a workspace, whose production install is narrowed to the
// runtime's members), or where the install builds native code, which a
// second install would build again; else production dependencies are
// installed from the warm cache.
func (r *resolver) prodDepsStage() plan.Stage {
	var st plan.Stage
	if r.mgr.prune != nil && (r.mgr.pruneAlways && r.ws == nil || r.installPlatform == plan.TargetPlatform) {
		st = plan.Stage{Name: "prod-deps", From: plan.From{Stage: "deps"}, Platform: r.installPlatform}
		if r.ws == nil && r.pkg.devOnly != nil {
			st.Steps = r.removeDevOnly()
		} else {
			name := r.manager + " prune (production)"
			if r.mgr.stepName != nil {
				name = r.mgr.stepName(true)
			}
			st.Steps = []plan.Step{{
				Name: name,
				Run:  plan.TrustCA(&plan.Run{Args: plan.Lits(r.pruneArgv()...), Env: r.registryEnv(r.mgr), Mounts: r.installMounts()}),
			}}
		}
	} else {
		st = r.installStage("prod-deps")
		st.Steps = append(st.Steps, r.install(true))
	}
	if len(r.mgr.stamped) > 0 {
		st.Steps = append(st.Steps, plan.Step{
			Name: "drop the install's time stamps",
			Run:  &plan.Run{Args: plan.Lits(append([]string{"rm", "-f"}, r.mgr.stamped...)...), Network: plan.NetworkNone},
		})
	}
	if r.ws == nil && r.mgr.pnp == nil {
		// An app without production dependencies gets no node_modules from
		// the install; the runtime copies one all the same.
		st.Steps = append(st.Steps, plan.Step{Name: "mkdir node_modules", Mkdir: &plan.Mkdir{Path: appDir + "/node_modules", Mode: 0o755}})
	}
	return st
}

// removeDevOnly is npm's prune as one rm, where the lockfile names the
// dev-only folders (manifest.devOnly): an rm does not read the tree, nor
// compete with the build for the cores as npm does. No step when there
// is nothing to remove.
func (r *resolver) removeDevOnly() []plan.Step {
	if len(r.pkg.devOnly) == 0 {
		return nil
	}
	// npm's record of the tree goes too (npm prune rewrites it): it would
	// still list what was removed.
	paths := []string{appDir + "/node_modules/.package-lock.json"}
	for _, p := range r.pkg.devOnly {
		paths = append(paths, appDir+"/"+p)
	}
	return []plan.Step{{
		Name: "remove dev dependencies",
		Run:  &plan.Run{Args: plan.Lits(append([]string{"rm", "-rf", "--"}, paths...)...), Network: plan.NetworkNone},
	}}
}

func (r *resolver) buildStage() plan.Stage {
	st := plan.Stage{
		Name:     "build",
		From:     plan.From{Stage: "deps"},
		Platform: r.installPlatform,
		// An .npmrc may hold a token: it is mounted for installs only.
		Steps: []plan.Step{provider.SourceStep(appDir, slices.Concat(r.sourceExcludes(), provider.DescriptionFiles(r.Spec))...)},
	}
	run := &plan.Run{Mounts: slices.Concat(r.frameworkCacheMounts(), provider.BuildMounts(r.Spec, "node"))}
	if r.fw != nil {
		run.Env = r.fw.env
	}
	switch cmd := r.Spec.Build.Command; {
	case cmd.Set:
		st.Steps = append(st.Steps, provider.CommandStep(cmd, run))
	case r.ws != nil:
		st.Steps = append(st.Steps, r.workspaceBuildSteps(run)...)
	case r.build != nil:
		run.Args = r.build
		st.Steps = append(st.Steps, plan.Step{Name: r.build[0].Text + " run build", Run: run})
	}
	if r.fw != nil && r.fw.standalone {
		st.Steps = append(st.Steps, r.standaloneStep())
	}
	return st
}

func (r *resolver) testStage() plan.Stage {
	test := r.mgr.run("test")
	if r.ws != nil {
		test = r.mgr.workspace.run(r.ws, "test")
	}
	return plan.Stage{
		Name:     "test",
		From:     plan.From{Stage: "build"},
		Platform: r.installPlatform,
		Steps: []plan.Step{{
			Name: test[0] + " test",
			Run:  &plan.Run{Args: plan.Lits(test...), Mounts: provider.BuildMounts(r.Spec, "node")},
		}},
	}
}

// runtimeStage is the slim image with production dependencies and the
// app, each its own linked layer: node_modules changes only with the
// lockfile, the app with the source.
func (r *resolver) runtimeStage() plan.Stage {
	st := plan.Stage{Name: "runtime", From: r.base.From(), Platform: plan.TargetPlatform}
	if r.Spec.Run.Packages.Set {
		st.Steps = append(st.Steps, provider.AptStep(r.Spec.Run.Packages))
	}
	if r.static != "" {
		r.staticRuntime(&st)
		st.Steps = append(st.Steps, provider.CopySteps(r.Spec, plan.Str{})...)
		return st
	}
	if r.fw != nil && r.fw.standalone {
		r.standaloneRuntime(&st)
		st.Steps = append(st.Steps, provider.CopySteps(r.Spec, plan.Str{})...)
		return st
	}
	if r.ws != nil {
		st.Steps = append(st.Steps, r.workspaceRuntimeSteps()...)
		st.Steps = append(st.Steps, provider.CopySteps(r.Spec, plan.Str{})...)
		return st
	}
	deps := plan.Step{Name: "copy production node_modules", Copy: &plan.Copy{
		From: plan.Source{Stage: "prod-deps"}, Src: plan.Lit(appDir + "/node_modules"), Dest: plan.Lit(appDir + "/node_modules"), Link: true,
	}}
	if r.mgr.pnp != nil {
		deps = r.mgr.pnp.runtimeCopy()
	}
	if r.bunRuntime {
		st.Steps = append(st.Steps, bunRuntimeStep())
	}
	st.Steps = append(st.Steps, deps)
	st.Steps = append(st.Steps, r.appCopy()...)
	st.Steps = append(st.Steps, provider.CopySteps(r.Spec, plan.Str{})...)
	return st
}

// appCopy is the runtime's copy of the app (provider.AppCopy).
func (r *resolver) appCopy() []plan.Step {
	return provider.AppCopy(r.buildStage(), r.depsStage(), appDir, slices.Concat([]string{"node_modules"}, r.mgr.appExclude))
}
