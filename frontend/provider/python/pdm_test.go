package python

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/strata-build/strata/frontend/plan"
)

// Which installer a combination of files (and the description) picks.
func TestInstallerDetection(t *testing.T) {
	proj := "[project]\nname = \"svc\"\nrequires-python = \">=3.11\"\n"
	main := "print(1)\n"
	cases := []struct {
		name, desc string
		files      map[string]string
		installer  string // the "installer" setting's prefix
		errText    string
	}{
		{"requirements only", "", map[string]string{"requirements.txt": "", "main.py": main}, "pip -r", ""},
		{"pyproject only", "", map[string]string{"pyproject.toml": proj, "main.py": main}, "pip install .", ""},
		{"pdm.lock", "", map[string]string{"pdm.lock": "", "pyproject.toml": proj, "main.py": main}, "pdm install", ""},
		{"pdm.lock beside requirements", "", map[string]string{"pdm.lock": "", "pyproject.toml": proj, "requirements.txt": "", "main.py": main}, "pdm install", ""},
		{"uv.lock wins over pdm.lock", "", map[string]string{"uv.lock": "", "pdm.lock": "", "pyproject.toml": proj, "main.py": main}, "uv sync", ""},
		{"poetry.lock wins over pdm.lock", "", map[string]string{"poetry.lock": "", "pdm.lock": "", "pyproject.toml": proj, "main.py": main}, "poetry install", ""},
		{"installer pdm picks it over uv.lock", "python:\n  installer: pdm\n", map[string]string{"uv.lock": "", "pdm.lock": "", "pyproject.toml": proj, "main.py": main}, "pdm install", ""},
		{"installer pip over pdm.lock", "python:\n  installer: pip\n", map[string]string{"pdm.lock": "", "pyproject.toml": proj, "main.py": main}, "pip install .", ""},
		{"pdm.lock without pyproject.toml", "", map[string]string{"pdm.lock": "", "main.py": main}, "", "pdm.lock: no pyproject.toml beside it"},
		{"installer pdm without pdm.lock", "python:\n  installer: pdm\n", map[string]string{"pyproject.toml": proj, "main.py": main}, "", "Dockerfile:2:14: python.installer: pdm installs from pdm.lock"},
		{"unknown installer", "python:\n  installer: pdmm\n", map[string]string{"pdm.lock": "", "pyproject.toml": proj, "main.py": main}, "", `Strata does not build with "pdmm"`},
		{"bad pdm version", "python:\n  installerVersion: latest\n", map[string]string{"pdm.lock": "", "pyproject.toml": proj, "main.py": main}, "", `Dockerfile:2:21: python.installerVersion: "latest" is not a version`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := planFor(t, c.desc, c.files)
			if c.errText != "" {
				if err == nil || !strings.Contains(err.Error(), c.errText) {
					t.Fatalf("err = %v, want %q", err, c.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := setting(p, "installer"); !strings.HasPrefix(got, c.installer) {
				t.Errorf("installer %q, want %q…", got, c.installer)
			}
		})
	}
}

func stepNames(st *plan.Stage) []string {
	var out []string
	for _, s := range st.Steps {
		out = append(out, s.Name)
	}
	return out
}

// pdm comes from a tool stage of its own, cached on its version; the
// locked install sees only pyproject.toml and pdm.lock, checks the lock,
// and keeps pdm's cache on a locked cache mount.
func TestPDM(t *testing.T) {
	proj := "[project]\nname = \"svc\"\n[project.scripts]\nsvc = \"svc:main\"\n[dependency-groups]\ndev = [\"pytest>=8\"]\n"
	files := map[string]string{"pdm.lock": "", "pyproject.toml": proj}
	p, err := planFor(t, "build:\n  packages: [gcc]\n", files)
	if err != nil {
		t.Fatal(err)
	}
	if setting(p, "pdm version") != defaultPDMVersion {
		t.Errorf("settings %+v", p.Settings)
	}
	tool, ok := p.Stage("pdm")
	if !ok || tool.From.Image != "python:3.13" || len(tool.Steps) != 2 {
		t.Fatalf("pdm stage %+v", tool)
	}
	if got := strings.Join(texts(tool.Steps[1].Run.Args), " "); got != "/opt/pdm/bin/python -m pip install pdm[locked]=="+defaultPDMVersion {
		t.Errorf("pdm install %q", got)
	}
	deps, _ := p.Stage("deps")
	// build.packages come first; pdm is linked in, not installed there.
	if got := stepNames(deps); !slices.Equal(got[1:], []string{"copy pdm " + defaultPDMVersion, "python -m venv --without-pip /app/.venv", "pdm install --check --prod --no-self", "compile the virtualenv's bytecode", "chmod -R go-w /app/.venv"}) {
		t.Errorf("deps steps %q", got)
	}
	if cp := deps.Steps[1].Copy; cp == nil || cp.From.Stage != "pdm" || !cp.Link || cp.Src.Text != pdmHome {
		t.Errorf("pdm copy %+v", deps.Steps[1])
	}
	install := deps.Steps[3].Run
	if got := strings.Join(texts(install.Args), " "); got != "/opt/pdm/bin/pdm install --check --frozen-lockfile --no-editable -v --prod --no-self" {
		t.Errorf("install %q", got)
	}
	var binds []string
	for _, m := range install.Mounts {
		if m.Type == plan.BindMount {
			binds = append(binds, m.Target)
		}
		if m.Type == plan.CacheMount && (m.CacheID != "strata/python/pdm" || m.Sharing != plan.SharingLocked || m.Target != pdmCache) {
			t.Errorf("cache %+v", m)
		}
	}
	if strings.Join(binds, " ") != "/app/pyproject.toml /app/pdm.lock" {
		t.Errorf("binds %q", binds)
	}
	// A named project is a package: installed with the source, and the
	// runtime takes the virtualenv from there.
	build, _ := p.Stage("build")
	if got := stepNames(build); !slices.Equal(got, []string{"copy the source", "pdm install --check --prod", "compile the virtualenv's bytecode", "chmod -R go-w /app/.venv"}) {
		t.Errorf("build steps %q", got)
	}
	test, _ := p.Stage("test")
	if got := stepNames(test); !slices.Equal(got, []string{"pdm install --check --no-self", "python -m pytest"}) {
		t.Errorf("test steps %q", got)
	}
	if from := runtimeVenvFrom(t, p); from != "build" {
		t.Errorf("runtime venv from %q", from)
	}
	if cmd := p.DefaultTarget().Image.Cmd; len(cmd) != 1 || cmd[0].Text != "svc" {
		t.Errorf("cmd %+v", cmd)
	}

	p, err = planFor(t, "python:\n  installerVersion: 2.26.0\n", files)
	if err != nil {
		t.Fatal(err)
	}
	if tool, _ := p.Stage("pdm"); setting(p, "pdm version") != "2.26.0" || !strings.HasSuffix(tool.Steps[1].Name, "pdm[locked]==2.26.0") {
		t.Errorf("installerVersion: %+v %+v", p.Settings, tool.Steps)
	}
}

func runtimeVenvFrom(t *testing.T, p *plan.Plan) string {
	t.Helper()
	rt, _ := p.Stage("runtime")
	for _, s := range rt.Steps {
		if s.Copy != nil && s.Copy.Src.Text == venv {
			return s.Copy.From.Stage
		}
	}
	t.Fatalf("no virtualenv copy in %+v", rt.Steps)
	return ""
}

// pdm's own rule: a project without a name, or marked as not a
// distribution, is not installed itself; the runtime's virtualenv is then
// the dependency install's.
func TestPDMPackage(t *testing.T) {
	cases := []struct {
		name, proj string
		pkg        bool
	}{
		{"named", "[project]\nname = \"svc\"\n", true},
		{"unnamed", "[project]\nversion = \"1\"\n", false},
		{"distribution false", "[project]\nname = \"svc\"\n[tool.pdm]\ndistribution = false\n", false},
		{"distribution true", "[project]\nname = \"svc\"\n[tool.pdm]\ndistribution = true\n", true},
		{"package-type application", "[project]\nname = \"svc\"\n[tool.pdm]\npackage-type = \"application\"\ndistribution = true\n", false},
		{"package-type library", "[project]\nname = \"svc\"\n[tool.pdm]\npackage-type = \"library\"\n", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := planFor(t, "", map[string]string{"pdm.lock": "", "pyproject.toml": c.proj, "main.py": ""})
			if err != nil {
				t.Fatal(err)
			}
			build, _ := p.Stage("build")
			installs := slices.Contains(stepNames(build), "pdm install --check --prod")
			from := runtimeVenvFrom(t, p)
			if installs != c.pkg || (from == "build") != c.pkg {
				t.Errorf("package %v: build installs the project %v, runtime venv from %s", c.pkg, installs, from)
			}
			// Nothing else installs it either (pip's install of a bare
			// pyproject.toml once did).
			if got := stepNames(build); !c.pkg && len(got) != 1 {
				t.Errorf("not a package, yet the build stage runs %q", got)
			}
		})
	}
}

// pdm's older dev-dependencies table names the test runner too.
func TestPDMDevDependencies(t *testing.T) {
	proj := "[project]\nname = \"svc\"\n[tool.pdm.dev-dependencies]\ntest = [\"pytest>=8\"]\n"
	p, err := planFor(t, "", map[string]string{"pdm.lock": "", "pyproject.toml": proj, "main.py": ""})
	if err != nil {
		t.Fatal(err)
	}
	test, _ := p.Stage("test")
	if got := stepNames(test); got[len(got)-1] != "python -m pytest" {
		t.Errorf("test steps %q", got)
	}
}

// poetry, like pdm, comes from a tool stage that starts from the builder
// image alone: build.packages go into the builder, not under poetry.
func TestPoetryToolStage(t *testing.T) {
	lock := "# This file is automatically @generated by Poetry 2.1.3 and should not be changed by hand.\n"
	p, err := planFor(t, "build:\n  packages: [gcc]\n", map[string]string{"poetry.lock": lock, "pyproject.toml": "[project]\nname = \"svc\"\n", "main.py": ""})
	if err != nil {
		t.Fatal(err)
	}
	tool, ok := p.Stage("poetry")
	if !ok || tool.From.Image != "python:3.13" || !slices.Equal(stepNames(tool), []string{"python -m venv /opt/poetry", "pip install poetry==2.1.3"}) {
		t.Fatalf("poetry stage %+v", tool)
	}
	deps, _ := p.Stage("deps")
	if got := stepNames(deps); len(got) != 3 || got[1] != "copy poetry 2.1.3" {
		t.Errorf("deps steps %q", got)
	}
	if cp := deps.Steps[1].Copy; cp == nil || cp.From.Stage != "poetry" || !cp.Link || cp.Dest.Text != poetryHome {
		t.Errorf("poetry copy %+v", deps.Steps[1])
	}
}

// The pass-through args reach the install steps of the installer that
// reads them, and no other step: pip's index settings pip's installs (pip
// installs pdm and poetry too), uv's uv's, pdm's index settings pdm's
// installs, cleo's verbosity poetry's. A plan declares only the args its
// steps use, and names the other tool's index args as unread, with what
// to pass instead.
func TestPassThroughArgs(t *testing.T) {
	proj := "[project]\nname = \"svc\"\nrequires-python = \">=3.11\"\ndependencies = [\"pytest>=8\"]\n"
	poetryLock := "# This file is automatically @generated by Poetry 2.1.3 and should not be changed by hand.\n"
	cases := []struct {
		name, desc string
		files      map[string]string
		tool       string   // the program of the installer's own steps, beside pip
		extra      []string // what those steps see (nil: the index args)
		index      []string // the index args the plan declares
	}{
		{"pip", "", map[string]string{"requirements.txt": "flask==3.1\n", "main.py": ""}, "", nil, pipIndexArgs},
		{"uv", "", map[string]string{"uv.lock": "", "pyproject.toml": proj, "main.py": ""}, "uv", nil, uvIndexArgs},
		{"uv pip", "python: {installer: uv}\n", map[string]string{"requirements.txt": "flask==3.1\n", "main.py": ""}, "uv", nil, uvIndexArgs},
		{"poetry", "", map[string]string{"poetry.lock": poetryLock, "pyproject.toml": proj, "main.py": ""}, poetryHome + "/bin/poetry", poetryArgs, pipIndexArgs},
		{"pdm", "", map[string]string{"pdm.lock": "", "pyproject.toml": proj, "main.py": ""}, pdmHome + "/bin/pdm", pdmArgs, pipIndexArgs},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := planFor(t, c.desc, c.files)
			if err != nil {
				t.Fatal(err)
			}
			var declared []string
			for _, a := range p.Args {
				if a.PassThrough {
					declared = append(declared, a.Name)
				}
			}
			if want := append(slices.Clone(c.index), c.extra...); !slices.Equal(declared, want) {
				t.Errorf("declared %q, want %q", declared, want)
			}
			other := uvIndexArgs
			if slices.Equal(c.index, uvIndexArgs) {
				other = pipIndexArgs
			}
			if got := slices.Sorted(maps.Keys(p.Unread)); !slices.Equal(got, slices.Sorted(slices.Values(other))) {
				t.Errorf("unread %q, want %q", got, other)
			}
			for name, hint := range p.Unread {
				if !slices.ContainsFunc(c.index, func(a string) bool { return strings.Contains(hint, a) }) {
					t.Errorf("unread %s: the hint %q names none of %q", name, hint, c.index)
				}
			}
			toolSees := c.extra
			if toolSees == nil {
				toolSees = c.index
			}
			pips, tools := 0, 0
			for _, st := range p.Stages {
				for _, step := range st.Steps {
					if step.Run == nil {
						continue
					}
					var got []string
					for _, e := range step.Run.Env {
						if e.IfSet {
							got = append(got, e.Name)
						}
					}
					a := step.Run.Args
					switch {
					case len(a) > 3 && a[1].Text == "-m" && a[2].Text == "pip" && a[3].Text == "install":
						pips++
						if !slices.Equal(got, pipIndexArgs) {
							t.Errorf("%s: %s sees %q, want %q", st.Name, step.Name, got, pipIndexArgs)
						}
					case len(a) > 1 && a[0].Text == "uv" && a[1].Text == "venv":
						if len(got) > 0 {
							t.Errorf("%s: %s, no install, sees %q", st.Name, step.Name, got)
						}
					case c.tool != "" && a[0].Text == c.tool:
						tools++
						if !slices.Equal(got, toolSees) {
							t.Errorf("%s: %s sees %q, want %q", st.Name, step.Name, got, toolSees)
						}
					case len(got) > 0:
						t.Errorf("%s: %s, no install, sees %q", st.Name, step.Name, got)
					}
				}
			}
			if pips+tools == 0 || (c.tool != "") != (tools > 0) {
				t.Errorf("%d pip installs, %d %s steps", pips, tools, c.tool)
			}
		})
	}
}

// An index arg the description declares keeps its default and is declared
// once, as Go's and Node's pass-through args are.
func TestDeclaredIndexArgKeepsItsDefault(t *testing.T) {
	p, err := planFor(t, "args:\n  PIP_INDEX_URL: https://mirror.example/simple/\n", map[string]string{"requirements.txt": "flask==3.1\n", "main.py": ""})
	if err != nil {
		t.Fatal(err)
	}
	var got []plan.Arg
	for _, a := range p.Args {
		if a.Name == "PIP_INDEX_URL" {
			got = append(got, a)
		}
	}
	if len(got) != 1 || got[0].PassThrough || got[0].Default != "https://mirror.example/simple/" {
		t.Errorf("PIP_INDEX_URL declared as %+v", got)
	}
}
