package python

import (
	"context"
	"fmt"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/provider"
)

// defaultPDMVersion is installed unless python.installerVersion names
// another release (pdm.lock does not record the pdm that wrote it).
const defaultPDMVersion = "2.29.3"

// pdm's paths. pdm's cache holds an SQLite HTTP cache and JSON metadata
// files written in place, not atomically: one writer at a time.
const (
	pdmHome    = "/opt/pdm"
	pdmCache   = "/root/.cache/pdm"
	pdmCacheID = "strata/python/pdm"
)

// pdmArgs pass through to pdm's install steps only, as indexArgs do for
// pip and uv: the index pdm takes for its pypi source and whether it checks
// that index's certificate. pdm also reads PDM_PYPI_USERNAME and
// PDM_PYPI_PASSWORD, which belong in build.secrets (an arg's value is part
// of the build's definition).
var pdmArgs = []string{"PDM_PYPI_URL", "PDM_PYPI_VERIFY_SSL"}

// pdmTool installs pdm with its `locked` extra, which pins every dependency
// of pdm to the versions its release was tested with: a plain install takes
// whatever is newest, and a new major of one of them can break pdm.
func (r *resolver) pdmTool() tool {
	return tool{stage: "pdm", home: pdmHome, requirement: "pdm[locked]==" + r.pdmVersion}
}

func (r *resolver) resolvePDM(ctx context.Context) error {
	if r.proj == nil {
		return fmt.Errorf("pdm.lock: no pyproject.toml beside it (pdm needs the project file)")
	}
	if _, err := checkLockTOML(ctx, r.in.Context, "pdm.lock", "regenerate it with `pdm lock` and commit pdm.lock"); err != nil {
		return err
	}
	from := "default"
	r.pdmVersion = defaultPDMVersion
	if v := r.cfg.InstallerVersion; v.Set {
		if !installerVersion.MatchString(v.V) {
			return r.Spec.Errorf(v.Pos, "python.installerVersion", "write a version such as "+defaultPDMVersion, fmt.Sprintf("%q is not a version", v.V))
		}
		r.pdmVersion, from = v.V, r.At(v.Pos)
	}
	r.Set("installer", "pdm install --check --prod", "pdm.lock")
	r.Set("pdm version", r.pdmVersion, from)
	r.deps = r.projectDeps()
	return nil
}

// pdmIsPackage is pdm's own rule for installing the project itself: a
// named project is a distribution unless [tool.pdm] says otherwise.
func (r *resolver) pdmIsPackage() bool {
	pdm := r.proj.Tool.PDM
	switch {
	case r.proj.Project.Name == "":
		return false
	case pdm.PackageType != "":
		return pdm.PackageType == "library"
	case pdm.Distribution != nil:
		return *pdm.Distribution
	}
	return true
}

// pdmDeps links pdm into the builder, makes the virtualenv and installs
// the locked production dependencies without the project, seeing only
// pyproject.toml and pdm.lock: editing source never re-runs it.
func (r *resolver) pdmDeps(st plan.Stage) plan.Stage {
	files := &plan.ContextFilter{Include: plan.Lits("pyproject.toml", "pdm.lock")}
	st.Steps = append(st.Steps,
		copyTool(r.pdmTool(), r.pdmVersion),
		// pdm installs into the interpreter's virtualenv; made here by the
		// builder's python, so its home is the one the runtime has.
		plan.Step{Name: "python -m venv --without-pip " + venv, Run: &plan.Run{Args: plan.Lits("python", "-m", "venv", "--without-pip", venv)}},
		r.pdmInstall("pdm install --check --prod --no-self", []plan.Mount{
			{Type: plan.BindMount, Target: appDir + "/pyproject.toml", From: &plan.Source{Context: files, Path: "pyproject.toml"}},
			{Type: plan.BindMount, Target: appDir + "/pdm.lock", From: &plan.Source{Context: files, Path: "pdm.lock"}},
		}, "--prod", "--no-self"),
	)
	st.Steps = append(st.Steps, finishSteps()...)
	return st
}

// pdmInstall runs `pdm install --check --frozen-lockfile --no-editable`:
// a lockfile that no longer satisfies pyproject.toml fails the build
// instead of installing what it pins. -v makes pdm say, package by
// package, what it downloads and what it takes from its cache.
func (r *resolver) pdmInstall(name string, mounts []plan.Mount, flags ...string) plan.Step {
	env := []plan.Env{
		{Name: "PDM_PYTHON", Value: plan.Lit(venv + "/bin/python")},
		{Name: "PDM_CACHE_DIR", Value: plan.Lit(pdmCache)},
		{Name: "PDM_CHECK_UPDATE", Value: plan.Lit("false")},
		{Name: "PDM_NON_INTERACTIVE", Value: plan.Lit("1")},
	}
	env = append(env, provider.PassThroughEnv(pdmArgs)...)
	args := append([]string{pdmHome + "/bin/pdm", "install", "--check", "--frozen-lockfile", "--no-editable", "-v"}, flags...)
	return plan.Step{
		Name: name,
		Run: plan.TrustCA(&plan.Run{
			Args: plan.Lits(args...),
			Env:  env,
			Mounts: append(append(mounts,
				plan.Mount{Type: plan.CacheMount, Target: pdmCache, CacheID: pdmCacheID, Sharing: plan.SharingLocked},
				plan.Mount{Type: plan.SecretMount, ID: "netrc", Target: "/root/.netrc"},
			), provider.BuildMounts(r.Spec, "python")...),
		}),
	}
}

// finishSteps write the virtualenv's bytecode, which pdm's installer
// does not (see compileStep), and clear the group and world write bits
// pdm's installs leave on some files: its parallel installs read the
// umask by setting it to 0 for a moment, so files another thread creates
// meanwhile are 0666. chmod -R leaves the interpreter's symlinks alone.
func finishSteps() []plan.Step {
	return []plan.Step{
		compileStep(),
		{Name: "chmod -R go-w " + venv, Run: &plan.Run{Args: plan.Lits("chmod", "-R", "go-w", venv)}},
	}
}

// compileStep writes the virtualenv's bytecode after its installs, which
// write none (the runtime's app directory is read-only, so without it
// every start compiles again). The .pyc files are checked-hash: they
// record the source's hash, not its mtime, which is the time the
// installer wrote it, so two builds give the same bytes. A file that
// does not compile (test data in some packages) is reported, not fatal,
// as pip and uv treat it.
func compileStep() plan.Step {
	return compileBytecode("compile the virtualenv's bytecode", "")
}

// seeded are the packages `python -m venv` puts in a virtualenv: pip, and
// setuptools with its pkg_resources and _distutils_hack before Python
// 3.12.
const seeded = "pip|setuptools|pkg_resources|_distutils_hack"

// seedCompileStep compiles what `python -m venv` seeded, right after it
// (force rewrites the timestamp-based .pyc files it left): a step a
// dependency change does not re-run, so the compile after each install
// (compileInstalledStep) skips about half the files of a small app.
func seedCompileStep() plan.Step {
	return compileBytecode("compile the bytecode of the virtualenv's pip", "")
}

// compileInstalledStep is compileStep after pip installs into a seeded
// virtualenv: all but the seeded packages, which seedCompileStep
// compiled. A requirement that replaces pip or setuptools leaves it
// without bytecode (it still imports, compiling in memory).
func compileInstalledStep() plan.Step {
	return compileBytecode("compile the virtualenv's bytecode", "/site-packages/("+seeded+")/")
}

// compileBytecode compiles the virtualenv's lib folder to checked-hash
// .pyc files, leaving the paths skip matches.
func compileBytecode(name, skip string) plan.Step {
	imports, rx := "compileall, py_compile", ""
	if skip != "" {
		imports, rx = imports+", re", "rx=re.compile('"+skip+"'), "
	}
	return plan.Step{Name: name, Run: &plan.Run{
		Args: plan.Lits(venv+"/bin/python", "-c", "import "+imports+"; compileall.compile_dir('"+venv+"/lib', quiet=1, workers=0, force=True, "+rx+
			"invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)"),
	}}
}
