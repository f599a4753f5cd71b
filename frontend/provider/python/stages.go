package python

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/provider"
)

// Paths in the builder and the runtime: the same in both, so the
// virtualenv's interpreter link and scripts work unchanged.
const (
	appDir   = "/app"
	venv     = "/app/.venv"
	pipCache = "/root/.cache/pip"
	uvCache  = "/root/.cache/uv"
	reqDir   = "/run/strata/requirements"
)

// pip's cache writes files atomically and uv locks its own: parallel
// builds may share them.
const (
	pipCacheID = "strata/python/pip"
	uvCacheID  = "strata/python/uv"
)

// uvImage is uv's official image; --build-context redirects it like any
// other base image.
const uvImage = "ghcr.io/astral-sh/uv:"

// pipIndexArgs and uvIndexArgs pass through from --build-arg to the
// install steps of the tool that reads them, and only to those: no
// default, so a step sees one only when --build-arg sets it, and no image
// config or history entry names its value (index URLs may carry
// credentials). pip installs the requirements, poetry and pdm; uv reads
// neither pip's settings nor pip.conf. UV_INDEX_URL and UV_EXTRA_INDEX_URL
// are uv's older names, which uv still reads.
var (
	pipIndexArgs = []string{"PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST"}
	uvIndexArgs  = []string{"UV_DEFAULT_INDEX", "UV_INDEX", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_INSECURE_HOST"}
)

// insteadForUV and insteadForPip are what the other tool reads in place of
// each index arg, for the warning a build that passes the wrong family
// gets (the arg would reach no step).
var (
	insteadForUV  = map[string]string{"PIP_INDEX_URL": "UV_DEFAULT_INDEX", "PIP_EXTRA_INDEX_URL": "UV_INDEX", "PIP_TRUSTED_HOST": "UV_INSECURE_HOST"}
	insteadForPip = map[string]string{"UV_DEFAULT_INDEX": "PIP_INDEX_URL", "UV_INDEX_URL": "PIP_INDEX_URL",
		"UV_INDEX": "PIP_EXTRA_INDEX_URL", "UV_EXTRA_INDEX_URL": "PIP_EXTRA_INDEX_URL", "UV_INSECURE_HOST": "PIP_TRUSTED_HOST"}
)

// usesUV says the app's dependencies install with uv, not pip.
func (r *resolver) usesUV() bool { return r.installer == "uv" || r.installer == "uv pip" }

// indexArgs are the index args this app's install steps read.
func (r *resolver) indexArgs() []string {
	if r.usesUV() {
		return uvIndexArgs
	}
	return pipIndexArgs
}

// unreadIndexArgs are the other tool's index args, each with what to pass
// instead.
func (r *resolver) unreadIndexArgs() map[string]string {
	out := map[string]string{}
	if r.usesUV() {
		for from, to := range insteadForUV {
			out[from] = "uv installs this app's dependencies and reads none of pip's settings: pass " + to
		}
		return out
	}
	for from, to := range insteadForPip {
		switch r.installer {
		case "poetry":
			out[from] = fmt.Sprintf("%s is uv's setting, and this app installs with poetry, which reads its sources from pyproject.toml (pass %s for the pip that installs poetry)", from, to)
		case "pdm":
			out[from] = fmt.Sprintf("%s is uv's setting, and this app installs with pdm: pass PDM_PYPI_URL (and %s for the pip that installs pdm)", from, to)
		default:
			out[from] = fmt.Sprintf("%s is uv's setting, and this app installs with pip: pass %s", from, to)
		}
	}
	return out
}

// runtimePath puts the virtualenv first, as activating it would.
const runtimePath = venv + "/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

func (r *resolver) plan() *plan.Plan {
	p := &plan.Plan{Provider: "python", Settings: r.Settings, Args: provider.Args(r.Spec), Unread: r.unreadIndexArgs()}
	args := r.indexArgs()
	switch r.installer {
	case "poetry":
		args = append(slices.Clone(args), poetryArgs...)
	case "pdm":
		args = append(slices.Clone(args), pdmArgs...)
	}
	provider.DeclarePassThrough(p, args)
	switch r.installer {
	case "uv", "uv pip":
		p.Stages = []plan.Stage{{Name: "uv", From: plan.FromImage(uvImage+r.uvVersion, "python.installerVersion", r.cfg.InstallerVersion.Pos), Platform: plan.TargetPlatform}}
	case "poetry":
		p.Stages = []plan.Stage{r.toolStage(r.poetryTool())}
	case "pdm":
		p.Stages = []plan.Stage{r.toolStage(r.pdmTool())}
	}
	p.Stages = append(p.Stages, r.depsStage(), r.buildStage(), r.testStage(), r.runtimeStage())
	start := r.start
	start.Entrypoint = []plan.Str{} // the Cmd is the whole start command
	runtime := provider.RuntimeImage(r.Spec, start, r.base)
	if r.port > 0 && !r.Spec.Run.Port.Set {
		runtime.Ports = []string{strconv.Itoa(r.port) + "/tcp"}
	}
	if r.member != nil {
		runtime.Labels["org.opencontainers.image.title"] = r.member.proj.Project.Name
	} else if r.proj != nil && r.proj.Project.Name != "" {
		runtime.Labels["org.opencontainers.image.title"] = r.proj.Project.Name
	}
	defaults := append([]plan.Env{
		{Name: "PATH", Value: plan.Lit(runtimePath)},
		{Name: "VIRTUAL_ENV", Value: plan.Lit(venv)},
		// Output reaches the logs as it is written; the app directory is
		// read-only to the runtime user, so no bytecode is written there.
		{Name: "PYTHONUNBUFFERED", Value: plan.Lit("1")},
		{Name: "PYTHONDONTWRITEBYTECODE", Value: plan.Lit("1")},
	}, r.startEnv...)
	// run.env, already in runtime.Env, wins over the defaults.
	defaults = slices.DeleteFunc(defaults, func(d plan.Env) bool {
		return slices.ContainsFunc(runtime.Env, func(e plan.Env) bool { return e.Name == d.Name })
	})
	runtime.Env = append(defaults, runtime.Env...)
	p.Targets = []plan.Target{
		{Name: "build", Stage: "build", Description: "the builder with the virtualenv and the app in /app", Image: plan.Image{WorkingDir: appDir}},
		{Name: "test", Stage: "test", Description: "the tests (pytest when a dependency, else unittest) in the builder", Image: plan.Image{WorkingDir: appDir}},
		{Name: "runtime", Stage: "runtime", Default: true, Description: "the runtime image", Image: runtime},
	}
	return p
}

// pipInstall runs pip in the app's virtualenv with its cache on a cache mount.
// The app's own installs write no bytecode: compileStep does, the same
// on every build.
func (r *resolver) pipInstall(name string, args []string, mounts ...plan.Mount) plan.Step {
	return r.pipInto(venv, name, append([]string{"--no-compile"}, args...), mounts...)
}

// pipInto runs pip in a virtualenv with its cache on a cache mount.
func (r *resolver) pipInto(env string, name string, args []string, mounts ...plan.Mount) plan.Step {
	vars := []plan.Env{
		{Name: "PIP_CACHE_DIR", Value: plan.Lit(pipCache)},
		{Name: "PIP_DISABLE_PIP_VERSION_CHECK", Value: plan.Lit("1")},
		// No prompt for credentials a build cannot type: an index that
		// answers 401 makes pip report the package as not found instead of
		// dying on EOF.
		{Name: "PIP_NO_INPUT", Value: plan.Lit("1")},
	}
	vars = append(vars, provider.PassThroughEnv(pipIndexArgs)...)
	return plan.Step{
		Name: name,
		// A built wheel in the cache that no longer unzips fails every
		// install that takes it ("Wheel … located at <cache> is invalid"):
		// the built wheels go, and pip builds them again.
		Run: plan.Recoverable(plan.TrustCA(&plan.Run{
			Args: plan.Lits(append([]string{env + "/bin/python", "-m", "pip", "install"}, args...)...),
			Env:  vars,
			Mounts: append(append(mounts,
				plan.Mount{Type: plan.CacheMount, Target: pipCache, CacheID: pipCacheID},
				// pip reads its own config and netrc for private indexes.
				plan.Mount{Type: plan.SecretMount, ID: "pipconf", Target: "/etc/pip.conf"},
				plan.Mount{Type: plan.SecretMount, ID: "netrc", Target: "/root/.netrc"},
			), provider.BuildMounts(r.Spec, "python")...),
		}), plan.Recover{Match: []string{"located at " + pipCache + "/wheels/"}, Repair: "rm -rf " + pipCache + "/wheels"}),
	}
}

// depsStage creates the virtualenv and installs the requirements, seeing
// only the requirements files: editing source never re-runs it. It runs
// on the target platform, since wheels are built for one.
func (r *resolver) depsStage() plan.Stage {
	st := plan.Stage{
		Name:     "deps",
		From:     r.builderImage(),
		Platform: plan.TargetPlatform,
		Workdir:  appDir,
		// The virtualenv's metadata lists every installed distribution.
		Scan: true,
	}
	if r.Spec.Build.Packages.Set {
		st.Steps = append(st.Steps, provider.AptStep(r.Spec.Build.Packages))
	}
	switch r.installer {
	case "uv":
		return r.uvDeps(st)
	case "poetry":
		return r.poetryDeps(st)
	case "pdm":
		return r.pdmDeps(st)
	case "uv pip":
		return r.uvPipDeps(st)
	}
	st.Steps = append(st.Steps, plan.Step{Name: "python -m venv " + venv, Run: &plan.Run{Args: plan.Lits("python", "-m", "venv", venv)}}, seedCompileStep())
	if r.requirements != "" {
		step := r.pipInstall("pip install -r "+r.requirements, []string{"-r", r.requirements}, requirementsMount(r.requirements))
		step.Run.Workdir = reqDir
		step.Pos = r.cfg.Requirements.Pos
		st.Steps = append(st.Steps, step, compileInstalledStep())
	}
	return st
}

// requirementsMount binds the requirements files at reqDir: the named
// one and those it may include (-r, -c), so only they key the install.
func requirementsMount(name string) plan.Mount {
	return plan.Mount{Type: plan.BindMount, Target: reqDir, From: &plan.Source{Context: &plan.ContextFilter{
		Include: plan.Lits(slices.Compact(slices.Sorted(slices.Values([]string{"requirements*.txt", "requirements/*.txt", "constraints*.txt", name})))...)}}}
}

// sourceExcludes are what a checkout holds that is not the app's source,
// as experts list them in .dockerignore: a local virtualenv, the history,
// bytecode at any depth (compiled again in the image), and a front end's
// node_modules at any depth, which a Python build never reads and which
// can be most of the context's bytes.
var sourceExcludes = []string{".venv", ".git", "**/__pycache__", "**/node_modules"}

// buildStage adds the app: installed into the virtualenv when it is a
// project without requirements, or built by the description's command.
func (r *resolver) buildStage() plan.Stage {
	st := plan.Stage{
		Name:     "build",
		From:     plan.From{Stage: "deps"},
		Platform: plan.TargetPlatform,
		Steps:    []plan.Step{provider.SourceStep(appDir, slices.Concat(sourceExcludes, provider.DescriptionFiles(r.Spec))...)},
	}
	switch {
	case r.installer == "uv":
		// The project itself, when it is a package, as a regular install.
		st.Steps = append(st.Steps, r.uvSync(nil, r.uvSelect("--locked", "--no-dev", "--no-editable")...), compileStep())
	case r.installer == "poetry":
		st.Steps = append(st.Steps, r.poetryInstall("poetry install --only main", nil, "--only", "main"))
	case r.installer == "pdm":
		if r.pdmIsPackage() {
			st.Steps = append(append(st.Steps, r.pdmInstall("pdm install --check --prod", nil, "--prod")), finishSteps()...)
		}
	case r.requirements == "": // pip, with pyproject.toml alone
		st.Steps = append(st.Steps, r.pipInstall("pip install .", []string{"."}), compileInstalledStep())
	}
	if r.django != nil && r.django.collectstatic {
		st.Steps = append(st.Steps, r.collectstaticStep())
	}
	if cmd := r.Spec.Build.Command; cmd.Set {
		st.Steps = append(st.Steps, provider.CommandStep(cmd,
			&plan.Run{Env: []plan.Env{{Name: "PATH", Value: plan.Lit(runtimePath)}}, Mounts: provider.BuildMounts(r.Spec, "python")}))
	}
	return st
}

func (r *resolver) testStage() plan.Stage {
	args := []string{venv + "/bin/python", "-m", "unittest", "discover"}
	name := "python -m unittest discover"
	for _, d := range r.deps {
		if d == "pytest" {
			args, name = []string{venv + "/bin/python", "-m", "pytest"}, "python -m pytest"
		}
	}
	st := plan.Stage{Name: "test", From: plan.From{Stage: "build"}, Platform: plan.TargetPlatform}
	// The dev dependency groups hold the test tools.
	switch r.installer {
	case "uv":
		st.Steps = append(st.Steps, r.uvSync(nil, r.uvSelect("--locked")...))
	case "poetry":
		st.Steps = append(st.Steps, r.poetryInstall("poetry install", nil))
	case "pdm":
		st.Steps = append(st.Steps, r.pdmInstall("pdm install --check --no-self", nil, "--no-self"))
	}
	st.Steps = append(st.Steps, plan.Step{Name: name, Run: &plan.Run{Args: plan.Lits(args...), Mounts: provider.BuildMounts(r.Spec, "python")}})
	return st
}

// runtimeExcludes are what the build leaves in /app that the runtime's
// copy of the app leaves out: the virtualenv has a layer of its own, and
// pdm's build backend leaves its work directory in the project.
func (r *resolver) runtimeExcludes() []string {
	if r.installer == "pdm" && r.pdmIsPackage() {
		return []string{".venv", ".pdm-build"}
	}
	return []string{".venv"}
}

// installsProject says whether the build stage installs the project into
// the virtualenv, which the runtime then copies from there.
func (r *resolver) installsProject() bool {
	switch r.installer {
	case "pip", "uv pip":
		return r.requirements == ""
	case "pdm":
		return r.pdmIsPackage()
	}
	return true // uv and poetry install it whenever it is a package
}

// runtimeStage is the slim image with the virtualenv and the app as two
// linked layers: the virtualenv changes with the requirements, the app
// with the source.
func (r *resolver) runtimeStage() plan.Stage {
	st := plan.Stage{Name: "runtime", From: r.base.From(), Platform: plan.TargetPlatform}
	if r.Spec.Run.Packages.Set {
		st.Steps = append(st.Steps, provider.AptStep(r.Spec.Run.Packages))
	}
	venvFrom := "deps"
	if r.installsProject() {
		venvFrom = "build" // the project itself is installed there
	}
	st.Steps = append(st.Steps,
		plan.Step{Name: "copy the virtualenv", Copy: &plan.Copy{
			From: plan.Source{Stage: venvFrom}, Src: plan.Lit(venv), Dest: plan.Lit(venv), Link: true,
		}},
	)
	st.Steps = append(st.Steps, r.appCopy()...)
	st.Steps = append(st.Steps, provider.CopySteps(r.Spec, plan.Str{})...)
	return st
}

// appCopy is the runtime's copy of the app (provider.AppCopy).
func (r *resolver) appCopy() []plan.Step {
	return provider.AppCopy(r.buildStage(), r.depsStage(), appDir, r.runtimeExcludes())
}
