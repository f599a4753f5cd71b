// Package python plans Python apps: a virtualenv with the dependencies,
// installed in a step keyed on the requirements files only with pip's cache
// on a cache mount; the app copied beside it; a slim non-root runtime with
// the virtualenv and the app as linked layers.
package python

import (
	"context"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/provider"
	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/frontend/spec"
)

// settings is the `python:` section of the description.
type settings struct {
	Version          spec.Value[string] `yaml:"version"`
	Installer        spec.Value[string] `yaml:"installer"`
	InstallerVersion spec.Value[string] `yaml:"installerVersion"`
	Requirements     spec.Value[string] `yaml:"requirements"`
	Package          spec.Value[string] `yaml:"package"`
	Collectstatic    spec.Value[bool]   `yaml:"collectstatic"`
}

// lockfiles name each installer's lockfile, in detection order.
var lockfiles = []struct{ file, installer string }{
	{"uv.lock", "uv"},
	{"poetry.lock", "poetry"},
	{"pdm.lock", "pdm"},
}

// installers Strata builds with.
var installers = []string{"pip", "uv", "poetry", "pdm"}

// entryFiles are the scripts an app without a declared start may run.
var entryFiles = []string{"main.py", "app.py"}

type Provider struct{}

func New() Provider { return Provider{} }

func (Provider) Name() string { return "python" }

func (Provider) Patterns() []string {
	return []string{"pyproject.toml", "requirements*.txt", "requirements/*.txt", ".python-version", "runtime.txt",
		"uv.lock", "poetry.lock", "pdm.lock", "main.py", "app.py", "wsgi.py", "manage.py"}
}

func (Provider) Detect(ctx context.Context, fsys source.FS) (bool, error) {
	for _, f := range []string{"pyproject.toml", "requirements.txt", "uv.lock", "poetry.lock", "pdm.lock"} {
		if ok, err := source.Exists(ctx, fsys, f); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

func (Provider) Section() any { return &settings{} }

// Docs describes the `python:` keys in the JSON Schema.
func (Provider) Docs() map[string]string {
	return map[string]string{
		"":                 "Python settings; every key is optional.",
		"version":          "Python release line or version of the builder and runtime images, e.g. \"3.12\" (default: .python-version, runtime.txt, else 3.13 when requires-python (or, without it, poetry's [tool.poetry.dependencies] python) allows it, else the newest line it allows).",
		"installer":        "pip, uv, poetry or pdm (default: uv with uv.lock, poetry with poetry.lock, pdm with pdm.lock, else pip). uv without uv.lock installs the requirements file with uv pip install -r, a faster drop-in for pip's.",
		"installerVersion": "Version of the installer image or package, e.g. 0.13.9 for uv (default: the lockfile's own pin where it has one, else Strata's: uv 0.13.9, poetry 2.5.1, pdm 2.29.3).",
		"requirements":     "The requirements file pip installs (default: requirements.txt).",
		"package":          "The uv workspace member to build, by its project name, e.g. api (default: the workspace root when it is a project).",
		"collectstatic":    "Run Django's collectstatic at build time (default true for a Django project).",
	}
}

func (p Provider) Plan(ctx context.Context, in provider.Input) (*plan.Plan, error) {
	s := in.Spec
	var cfg settings
	if err := s.Sections["python"].Decode(&cfg); err != nil {
		return nil, err
	}
	proj, err := readProject(ctx, in.Context)
	if err != nil {
		return nil, err
	}
	r := &resolver{Record: provider.Record{Spec: s}, cfg: cfg, proj: proj, in: in}
	r.Set("app", "python", in.Reason)
	if err := r.resolve(ctx); err != nil {
		return nil, err
	}
	r.checkPipNoCacheDir()
	r.checkSystemLibraries(ctx)
	pl := r.plan()
	pl.Findings = r.Findings
	return pl, nil
}

// resolver turns settings, project files and defaults into concrete
// choices, recording where each came from.
type resolver struct {
	provider.Record
	cfg  settings
	proj *project
	in   provider.Input

	version       string
	installer     string // pip, uv, poetry or pdm
	uvVersion     string
	poetryVersion string
	pdmVersion    string
	workspace     []member // a uv workspace's members
	member        *member  // the one python.package builds; nil for the root
	requirements  string   // "" installs the project itself (pyproject.toml)
	deps          []string // normalized distribution names, for detection
	start         provider.Start
	startEnv      []plan.Env // how the server finds its address
	django        *django    // nil unless manage.py names a settings module
	port          int
	base          provider.Base
}

func (r *resolver) resolve(ctx context.Context) error {
	if err := r.resolveVersion(ctx); err != nil {
		return err
	}
	if err := r.resolveInstaller(ctx); err != nil {
		return err
	}
	if pkg := r.cfg.Package; pkg.Set && r.installer != "uv" {
		return r.Spec.Errorf(pkg.Pos, "python.package", "remove the key: "+r.installer+" builds the project at the root",
			"python.package picks a uv workspace member, and Strata builds workspaces with uv only (pdm and poetry have no workspaces of their own)")
	}
	if err := r.resolveStart(ctx); err != nil {
		return err
	}
	var err error
	r.base, err = provider.ResolveBase(r.Spec, provider.Needs{Family: provider.Language, Runtime: "python:" + r.version + "-slim"}, r.Set)
	return err
}

func (r *resolver) resolveVersion(ctx context.Context) error {
	if v := r.cfg.Version; v.Set {
		parsed, ok := parseVersion(v.V)
		if !ok {
			return r.Spec.Errorf(v.Pos, "python.version", "write a release line such as 3.12 or a version such as 3.12.4", fmt.Sprintf("%q is not a Python version", v.V))
		}
		r.version = parsed
		r.Set("python version", parsed, r.At(v.Pos))
		r.checkRequiresPython("python.version", v.Pos, "")
		return nil
	}
	v, from, err := fileVersion(ctx, r.in.Context)
	if err != nil {
		return err
	}
	if from != "" {
		r.version = v
		r.Set("python version", v, from)
		r.checkRequiresPython(from, spec0(1), from)
		return nil
	}
	label, sets, err := r.pythonRange()
	if err != nil {
		return err
	}
	if sets != nil {
		line, ok := lineForAny(sets)
		if !ok {
			return fmt.Errorf("%s allows none of the Python release lines Strata knows (set `python: {version: …}` or check the constraint)", label)
		}
		r.version = line
		r.Set("python version", line, label)
		return nil
	}
	r.version = lineString(defaultLine)
	r.Set("python version", r.version, "default")
	return nil
}

func (r *resolver) resolveInstaller(ctx context.Context) error {
	locked := map[string]bool{} // installers whose lockfile the context holds
	for _, l := range lockfiles {
		ok, err := source.Exists(ctx, r.in.Context, l.file)
		if err != nil {
			return err
		}
		if ok && r.installer == "" {
			r.installer = l.installer // the first lockfile in detection order
		}
		locked[l.installer] = ok
	}
	if i := r.cfg.Installer; i.Set {
		if !slices.Contains(installers, i.V) {
			return r.Spec.Errorf(i.Pos, "python.installer", spec.Suggest(i.V, installers), fmt.Sprintf("Strata does not build with %q (yet)", i.V))
		}
		switch {
		case i.V == "uv" && !locked["uv"]:
			// uv without its lockfile installs requirements files, as pip would
			return r.resolveRequirements(ctx, "uv pip")
		case i.V != "pip" && !locked[i.V]:
			return r.Spec.Errorf(i.Pos, "python.installer", "run "+i.V+" lock and commit "+i.V+".lock", i.V+" installs from "+i.V+".lock, which the build context does not hold")
		}
		r.installer = i.V
	}
	switch r.installer {
	case "uv":
		return r.resolveUV(ctx)
	case "poetry":
		return r.resolvePoetry(ctx)
	case "pdm":
		return r.resolvePDM(ctx)
	}
	return r.resolveRequirements(ctx, "pip")
}

// resolveRequirements installs a requirements file with pip, or with uv's
// pip interface ("uv pip"), or the project itself with pip when there is
// no requirements file.
func (r *resolver) resolveRequirements(ctx context.Context, installer string) error {
	r.installer = installer
	if installer == "uv pip" {
		if err := r.resolveUVVersion(); err != nil {
			return err
		}
	}
	req := r.cfg.Requirements
	name := req.Or("requirements.txt")
	if req.Set {
		if msg := spec.CheckContextPath(name); msg != "" {
			return r.Spec.Errorf(req.Pos, "python.requirements", "name a file inside the build context, e.g. requirements/prod.txt", msg)
		}
		name = path.Clean(name)
	}
	ok, err := source.Exists(ctx, r.in.Context, name)
	switch {
	case err != nil:
		return err
	case ok:
		r.requirements = name
		if r.deps, err = readRequirements(ctx, r.in.Context, name); err != nil {
			return err
		}
		from := "detected"
		if req.Set {
			from = r.At(req.Pos)
		}
		r.Set("installer", installer+" -r "+name, from)
		if installer == "uv pip" {
			r.Set("uv version", r.uvVersion, r.At(r.cfg.InstallerVersion.Pos))
		}
		if err := r.checkPins(ctx); err != nil {
			return err
		}
	case req.Set:
		return r.Spec.Errorf(req.Pos, "python.requirements", "check the path, or remove the key to use requirements.txt", name+" is not in the build context")
	case installer == "uv pip":
		i := r.cfg.Installer
		return r.Spec.Errorf(i.Pos, "python.installer", "run uv lock and commit uv.lock, or add a requirements file",
			"uv installs from uv.lock or from "+name+", and the build context holds neither")
	case r.proj != nil:
		r.deps = r.projectDeps()
		r.Set("installer", "pip install . (pyproject.toml, no lockfile)", "detected")
		if len(r.deps) > 0 {
			r.Find(ruleLockfileMissing.Name, plan.Finding{File: "pyproject.toml", Pos: spec0(1),
				Message: "pyproject.toml declares dependencies but the context has no lockfile or requirements file: every build resolves them anew (run uv lock, poetry lock, or pip freeze > requirements.txt, and commit it)"})
		}
	default:
		return fmt.Errorf("no requirements.txt or pyproject.toml at the root of the build context (add one, or name the file with `python: {requirements: …}`)")
	}
	return nil
}

// projectDeps are the distributions pyproject.toml depends on, its
// dependency groups included (they say which test runner to use).
func (r *resolver) projectDeps() []string { return projectDeps(r.proj) }

func projectDeps(proj *project) []string {
	reqs := slices.Clone(proj.Project.Dependencies)
	poetry := proj.Tool.Poetry
	reqs = append(reqs, slices.Collect(maps.Keys(poetry.Dependencies))...)
	for _, g := range poetry.Group {
		reqs = append(reqs, slices.Collect(maps.Keys(g.Dependencies))...)
	}
	for _, group := range proj.Tool.PDM.DevDependencies {
		reqs = append(reqs, group...)
	}
	for _, group := range proj.DependencyGroups {
		for _, item := range group {
			if s, ok := item.(string); ok { // not an {include-group = …} table
				reqs = append(reqs, s)
			}
		}
	}
	var out []string
	for _, d := range reqs {
		if m := requirementName.FindStringSubmatch(strings.TrimSpace(d)); m != nil {
			out = append(out, normalize(m[1]))
		}
	}
	return out
}

// withDir tells a server the directory its module is in (a workspace
// member's), with the server's own flag: the runtime starts in /app.
func withDir(cmd []string, flag, dir string) []string {
	if dir == "" {
		return cmd
	}
	return append([]string{cmd[0], flag, dir}, cmd[1:]...)
}

// startGunicorn serves the app with gunicorn (from dir, in a workspace
// member), which binds 0.0.0.0:$PORT when no --bind is given, so
// `-e PORT=…` moves it.
func (r *resolver) startGunicorn(dir, why string, args ...string) {
	r.start.Cmd = plan.Lits(withDir(append([]string{"gunicorn"}, args...), "--chdir", dir)...)
	r.startEnv = []plan.Env{{Name: "PORT", Value: plan.Lit(fmt.Sprint(r.port))}}
	r.Set("start", strings.Join(texts(r.start.Cmd), " "), why)
}

// texts are the words of a command.
func texts(strs []plan.Str) []string {
	out := make([]string, len(strs))
	for i, s := range strs {
		out[i] = s.Text
	}
	return out
}

// defaultUVVersion is the uv release Strata installs unless
// python.installerVersion names another.
const defaultUVVersion = "0.13.9"

// installerVersion reaches an image reference: nothing else passes.
var installerVersion = regexp.MustCompile(`^\d+\.\d+\.\d+$`)

// resolveStart finds how the app starts: run.cmd, Django, a
// [project.scripts] entry, a Flask or ASGI app served by the server it
// depends on, or a script.
func (r *resolver) resolveStart(ctx context.Context) error {
	r.port = 8000
	if r.Spec.Run.Port.Set {
		r.port = r.Spec.Run.Port.V
	}
	if r.Spec.Run.Cmd.Set {
		r.Set("start", strings.Join(r.Spec.Run.Cmd.V, " "), r.At(r.Spec.Run.Cmd.Pos))
		r.port = 0 // the user's command decides
		if r.Spec.Run.Port.Set {
			r.port = r.Spec.Run.Port.V
		}
		return nil
	}
	// A workspace member is the app: its scripts, its entry files.
	proj, dir := r.proj, ""
	if r.member != nil {
		proj, dir = r.member.proj, r.member.dir
	} else if ok, err := r.resolveDjango(ctx); ok || err != nil {
		return err
	}
	if proj != nil && len(proj.Project.Scripts) == 1 {
		for name := range proj.Project.Scripts {
			r.start.Cmd = plan.Lits(name)
			r.Set("start", name, path.Join(dir, "pyproject.toml")+" [project.scripts]")
		}
		return nil
	}
	if dir == "" {
		if ok, err := r.resolveFlask(ctx); ok || err != nil {
			return err
		}
	}
	if dir != "" {
		// Detection transferred the root's entry files only.
		var files []string
		for _, f := range entryFiles {
			files = append(files, path.Join(dir, f))
		}
		if err := source.Fetch(ctx, r.in.Context, files); err != nil {
			return err
		}
	}
	for _, f := range entryFiles {
		file := path.Join(dir, f)
		dt, err := r.in.Context.ReadFile(ctx, file, maxFile)
		if err != nil {
			continue
		}
		module := strings.TrimSuffix(f, ".py")
		src := string(dt)
		switch {
		case strings.Contains(src, "FastAPI(") || strings.Contains(src, "Starlette("):
			if worker, ok := r.uvicornWorker(); ok {
				r.startGunicorn(dir, file+" creates an ASGI app and gunicorn and uvicorn are dependencies", "-k", worker, module+":app")
				return nil
			}
			if slices.Contains(r.deps, "uvicorn") {
				// Address from the environment, so `-e UVICORN_PORT=…` moves it.
				r.start.Cmd = plan.Lits(withDir([]string{"uvicorn", module + ":app"}, "--app-dir", dir)...)
				r.startEnv = []plan.Env{{Name: "UVICORN_HOST", Value: plan.Lit("0.0.0.0")}, {Name: "UVICORN_PORT", Value: plan.Lit(fmt.Sprint(r.port))}}
				r.Set("start", strings.Join(texts(r.start.Cmd), " "), file+" creates an ASGI app and uvicorn is a dependency")
				return nil
			}
		case strings.Contains(src, "Flask("):
			if slices.Contains(r.deps, "gunicorn") {
				r.startGunicorn(dir, file+" creates a Flask app and gunicorn is a dependency", module+":app")
				return nil
			}
		}
		r.start.Cmd = plan.Lits("python", file)
		r.Set("start", "python "+file, "detected "+file)
		r.port = 0
		if r.Spec.Run.Port.Set {
			r.port = r.Spec.Run.Port.V
		}
		return nil
	}
	where := ""
	if dir != "" {
		where = " in " + dir
	}
	return r.Spec.Errorf(r.Spec.Run.Cmd.Pos, "run.cmd", "set `run: {cmd: [gunicorn, app.wsgi]}` or add a [project.scripts] entry",
		"Strata cannot tell how the app starts: no [project.scripts] entry, main.py or app.py"+where)
}
