package python

import (
	"context"
	"fmt"
	"strings"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/provider"
)

func (r *resolver) resolveUV(ctx context.Context) error {
	if r.proj == nil {
		return fmt.Errorf("uv.lock: no pyproject.toml beside it (uv needs the project file)")
	}
	if _, err := checkLockTOML(ctx, r.in.Context, "uv.lock", "regenerate it with `uv lock` and commit uv.lock"); err != nil {
		return err
	}
	if err := r.resolveUVVersion(); err != nil {
		return err
	}
	if err := r.resolveWorkspace(ctx); err != nil {
		return err
	}
	r.Set("installer", strings.Join(append([]string{"uv", "sync"}, r.uvSelect("--locked")...), " "), "uv.lock")
	r.Set("uv version", r.uvVersion, r.At(r.cfg.InstallerVersion.Pos))
	return nil
}

// resolveUVVersion picks the uv release: python.installerVersion, else Strata's.
func (r *resolver) resolveUVVersion() error {
	r.uvVersion = r.cfg.InstallerVersion.Or(defaultUVVersion)
	if !installerVersion.MatchString(r.uvVersion) {
		return r.Spec.Errorf(r.cfg.InstallerVersion.Pos, "python.installerVersion", "write a version such as 0.13.9", fmt.Sprintf("%q is not a version", r.uvVersion))
	}
	return nil
}

// uvSelect adds the workspace member to build to a sync's flags.
func (r *resolver) uvSelect(flags ...string) []string {
	if r.member != nil {
		flags = append(flags, "--package", r.member.name)
	}
	return flags
}

// uvDeps copies uv into the builder and syncs the locked dependencies
// without the project, seeing only pyproject.toml and uv.lock (mounted
// file by file, as uv's own guide does): editing source never re-runs it.
// In a workspace it sees every member's pyproject.toml too and installs no
// member; the lock cannot be checked without the members' sources, so the
// sync is --frozen here and --locked with the source.
func (r *resolver) uvDeps(st plan.Stage) plan.Stage {
	st.Steps = append(st.Steps, r.copyUV())
	files := []string{"pyproject.toml", "uv.lock"}
	flags := []string{"--locked", "--no-install-project", "--no-dev"}
	if r.workspace != nil {
		for _, m := range r.workspace {
			files = append(files, m.dir+"/pyproject.toml")
		}
		flags = r.uvSelect("--frozen", "--no-install-workspace", "--no-dev")
	}
	filter := &plan.ContextFilter{Include: plan.Lits(files...)}
	var mounts []plan.Mount
	for _, f := range files {
		mounts = append(mounts, plan.Mount{Type: plan.BindMount, Target: appDir + "/" + f, From: &plan.Source{Context: filter, Path: f}})
	}
	step := r.uvSync(mounts, flags...)
	step.Pos = r.cfg.Package.Pos
	st.Steps = append(st.Steps, step, compileStep())
	return st
}

func (r *resolver) copyUV() plan.Step {
	return plan.Step{Name: "copy uv " + r.uvVersion, Copy: &plan.Copy{
		From: plan.Source{Stage: "uv"}, Src: plan.Lit("/uv"), Dest: plan.Lit("/usr/local/bin/uv"), Link: true,
	}}
}

// uvPipDeps installs a requirements file with uv's pip interface: uv
// copied in, a virtualenv made by uv (without pip, as uv sync makes it),
// then `uv pip install -r`, seeing only the requirements files as pip's
// install does. uv reads its own index settings (UV_INDEX_URL and the
// rest, a netrc), not pip's or a pip.conf.
func (r *resolver) uvPipDeps(st plan.Stage) plan.Stage {
	create := []string{"uv", "venv", venv}
	st.Steps = append(st.Steps, r.copyUV(), plan.Step{Name: strings.Join(create, " "), Run: &plan.Run{
		Args: plan.Lits(create...),
		Env:  []plan.Env{{Name: "UV_PYTHON_DOWNLOADS", Value: plan.Lit("never")}},
	}})
	args := []string{"uv", "pip", "install", "-r", r.requirements}
	step := r.uvRun(args, []plan.Env{{Name: "VIRTUAL_ENV", Value: plan.Lit(venv)}}, requirementsMount(r.requirements))
	step.Run.Workdir = reqDir
	step.Pos = r.cfg.Requirements.Pos
	st.Steps = append(st.Steps, step, compileStep())
	return st
}

// uvSync runs `uv sync` into the virtualenv (uvRun).
func (r *resolver) uvSync(mounts []plan.Mount, flags ...string) plan.Step {
	return r.uvRun(append([]string{"uv", "sync"}, flags...), []plan.Env{{Name: "UV_PROJECT_ENVIRONMENT", Value: plan.Lit(venv)}}, mounts...)
}

// uvRun runs uv with its cache on a cache mount: files copied out of the
// cache (another filesystem), and never a Python downloaded. Its bytecode
// is compileStep's, not uv's (UV_COMPILE_BYTECODE writes timestamp-based
// .pyc files).
func (r *resolver) uvRun(args []string, env []plan.Env, mounts ...plan.Mount) plan.Step {
	env = append(env,
		plan.Env{Name: "UV_CACHE_DIR", Value: plan.Lit(uvCache)},
		plan.Env{Name: "UV_LINK_MODE", Value: plan.Lit("copy")},
		plan.Env{Name: "UV_PYTHON_DOWNLOADS", Value: plan.Lit("never")},
	)
	env = append(env, provider.PassThroughEnv(uvIndexArgs)...)
	return plan.Step{
		Name: strings.Join(args, " "),
		Run: plan.TrustCA(&plan.Run{
			Args: plan.Lits(args...),
			Env:  env,
			Mounts: append(append(mounts,
				plan.Mount{Type: plan.CacheMount, Target: uvCache, CacheID: uvCacheID},
				plan.Mount{Type: plan.SecretMount, ID: "netrc", Target: "/root/.netrc"},
			), provider.BuildMounts(r.Spec, "python")...),
		}),
	}
}
