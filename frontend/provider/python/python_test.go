package python

import (
	"context"
	"strings"
	"testing"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/provider"
	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/frontend/spec"
)

func planFor(t *testing.T, desc string, files map[string]string) (*plan.Plan, error) {
	t.Helper()
	s, err := spec.Parse("Dockerfile", []byte(desc), []string{"python"})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return New().Plan(context.Background(), provider.Input{Spec: s, Context: &source.Map{Files: files}})
}

func setting(p *plan.Plan, key string) string {
	s, _ := p.Setting(key)
	return s.Value
}

func TestAllows(t *testing.T) {
	cases := []struct {
		spec string
		line [2]int
		want bool
	}{
		{">=3.10", [2]int{3, 13}, true}, {">=3.14", [2]int{3, 13}, false}, {"<3.13", [2]int{3, 13}, false},
		{">=3.10,<3.13", [2]int{3, 12}, true}, {"~=3.11", [2]int{3, 13}, true}, {"~=3.11.2", [2]int{3, 12}, false},
		{"==3.12.*", [2]int{3, 12}, true}, {"==3.12", [2]int{3, 13}, false}, {"!=3.13.*", [2]int{3, 13}, false},
		{">3.11", [2]int{3, 11}, true}, {"<=3.11", [2]int{3, 11}, true}, {"", [2]int{3, 10}, true}, {"nonsense", [2]int{3, 13}, false},
	}
	for _, c := range cases {
		if got := allows(c.spec, c.line); got != c.want {
			t.Errorf("%q allows %v: %v, want %v", c.spec, c.line, got, c.want)
		}
	}
}

func TestVersionAndInstaller(t *testing.T) {
	main := "from fastapi import FastAPI\napp = FastAPI()\n"
	cases := []struct {
		name, desc string
		files      map[string]string
		version    string
		installer  string
		errText    string
	}{
		{"defaults", "", map[string]string{"requirements.txt": "flask==3.1\n", "app.py": "print(1)\n"}, "3.13", "pip -r requirements.txt", ""},
		{"python-version", "", map[string]string{"requirements.txt": "", ".python-version": "3.11.2\n", "main.py": main}, "3.11.2", "pip -r requirements.txt", ""},
		{"runtime.txt", "", map[string]string{"requirements.txt": "", "runtime.txt": "python-3.12.4\n", "main.py": main}, "3.12.4", "", ""},
		{"requires-python allows default", "", map[string]string{"pyproject.toml": "[project]\nname = \"x\"\nrequires-python = \">=3.10\"\n", "main.py": main}, "3.13", "pip install . (pyproject.toml, no lockfile)", ""},
		{"requires-python caps", "", map[string]string{"pyproject.toml": "[project]\nrequires-python = \">=3.10,<3.13\"\n", "main.py": main}, "3.12", "", ""},
		{"written requirements", "python:\n  requirements: requirements/prod.txt\n", map[string]string{"requirements/prod.txt": "", "main.py": main}, "", "pip -r requirements/prod.txt", ""},
		{"missing written requirements", "python:\n  requirements: prod.txt\n", map[string]string{"requirements.txt": "", "main.py": main}, "", "", "Dockerfile:2:17: python.requirements: prod.txt is not in the build context"},
		{"poetry not yet", "", map[string]string{"poetry.lock": "", "pyproject.toml": "[project]\n", "main.py": main}, "", "", "poetry.lock: Strata does not build poetry projects yet"},
		{"uv", "", map[string]string{"uv.lock": "", "pyproject.toml": "[project]\nrequires-python = \">=3.11\"\n", "main.py": main}, "3.13", "uv sync --locked", ""},
		{"uv without its lock", "python:\n  installer: uv\n", map[string]string{"requirements.txt": "", "main.py": main}, "", "", "python.installer: uv installs from uv.lock"},
		{"bad version file", "", map[string]string{"requirements.txt": "", ".python-version": "pypy\n"}, "", "", `.python-version: "pypy" is not a Python version`},
		{"bad toml", "", map[string]string{"pyproject.toml": "[project\n"}, "", "", "pyproject.toml:1:"},
		{"nothing to start", "", map[string]string{"requirements.txt": ""}, "", "", "Strata cannot tell how the app starts"},
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
			if c.version != "" && setting(p, "python version") != c.version {
				t.Errorf("version %q, want %q", setting(p, "python version"), c.version)
			}
			if c.installer != "" && setting(p, "installer") != c.installer {
				t.Errorf("installer %q, want %q", setting(p, "installer"), c.installer)
			}
		})
	}
}

func TestStart(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		desc  string
		cmd   string
		env   string
	}{
		{"fastapi", map[string]string{"requirements.txt": "fastapi==0.1\nuvicorn[standard]>=0.30\n", "main.py": "app = FastAPI()\n"}, "", "uvicorn main:app", "UVICORN_PORT=8000"},
		{"flask", map[string]string{"requirements.txt": "Flask==3.1\ngunicorn==23.0\n", "app.py": "app = Flask(__name__)\n"}, "run:\n  port: 5000\n", "gunicorn app:app", "PORT=5000"},
		{"flask without gunicorn", map[string]string{"requirements.txt": "flask\n", "app.py": "app = Flask(__name__)\n"}, "", "python app.py", ""},
		{"script entry", map[string]string{"pyproject.toml": "[project]\nname = \"svc\"\n[project.scripts]\nsvc = \"svc.cli:main\"\n"}, "", "svc", ""},
		{"run.cmd", map[string]string{"requirements.txt": "", "main.py": ""}, "run:\n  cmd: [gunicorn, app.wsgi]\n", "gunicorn app.wsgi", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := planFor(t, c.desc, c.files)
			if err != nil {
				t.Fatal(err)
			}
			img := p.DefaultTarget().Image
			var cmd []string
			for _, w := range img.Cmd {
				cmd = append(cmd, w.Text)
			}
			if strings.Join(cmd, " ") != c.cmd {
				t.Errorf("cmd %q, want %q", cmd, c.cmd)
			}
			if c.env != "" {
				name, value, _ := strings.Cut(c.env, "=")
				found := false
				for _, e := range img.Env {
					found = found || (e.Name == name && e.Value.Text == value)
				}
				if !found {
					t.Errorf("env %+v lacks %s", img.Env, c.env)
				}
			}
			if img.User != plan.Lit(provider.NonRootUser) || len(img.Entrypoint) != 0 || img.Entrypoint == nil {
				t.Errorf("user %v entrypoint %v", img.User, img.Entrypoint)
			}
		})
	}
}

// The dependency step sees only the requirements files and runs on the
// target platform; run.env wins over the image's defaults.
func TestPlanShape(t *testing.T) {
	p, err := planFor(t, "run:\n  env: {PYTHONUNBUFFERED: \"0\"}\n", map[string]string{"requirements.txt": "flask\n", "app.py": ""})
	if err != nil {
		t.Fatal(err)
	}
	deps, _ := p.Stage("deps")
	if deps.Platform != plan.TargetPlatform {
		t.Errorf("deps on %s", deps.Platform)
	}
	install := deps.Steps[1].Run
	var include []string
	for _, m := range install.Mounts {
		if m.Type == plan.BindMount {
			for _, s := range m.From.Context.Include {
				include = append(include, s.Text)
			}
		}
		if m.Type == plan.CacheMount && m.CacheID != "strata/python/pip" {
			t.Errorf("cache %+v", m)
		}
	}
	if strings.Join(include, " ") != "constraints*.txt requirements*.txt requirements.txt requirements/*.txt" {
		t.Errorf("install sees %q", include)
	}
	n := 0
	for _, e := range p.DefaultTarget().Image.Env {
		if e.Name == "PYTHONUNBUFFERED" {
			n++
			if e.Value.Text != "0" {
				t.Errorf("run.env lost to the default: %+v", e)
			}
		}
	}
	if n != 1 {
		t.Errorf("PYTHONUNBUFFERED set %d times", n)
	}
}

// A Django project is served by gunicorn from its wsgi module, with its
// static files collected at build time unless the description says not to.
func TestDjango(t *testing.T) {
	manage := "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shop.settings')\n"
	files := func(reqs string) map[string]string {
		return map[string]string{"manage.py": manage, "requirements.txt": reqs}
	}
	p, err := planFor(t, "", files("Django==5.2\ngunicorn==23.0\n"))
	if err != nil {
		t.Fatal(err)
	}
	img := p.DefaultTarget().Image
	if len(img.Cmd) != 2 || img.Cmd[1].Text != "shop.wsgi" {
		t.Errorf("cmd %+v", img.Cmd)
	}
	env := map[string]string{}
	for _, e := range img.Env {
		env[e.Name] = e.Value.Text
	}
	if env["PORT"] != "8000" || env["DJANGO_SETTINGS_MODULE"] != "shop.settings" {
		t.Errorf("env %v", env)
	}
	build, _ := p.Stage("build")
	if last := build.Steps[len(build.Steps)-1]; last.Run == nil || !strings.Contains(strings.Join(texts(last.Run.Args), " "), "manage.py collectstatic --noinput") {
		t.Errorf("build steps %+v", build.Steps)
	}
	p, err = planFor(t, "python:\n  collectstatic: false\n", files("Django==5.2\ngunicorn==23.0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if build, _ := p.Stage("build"); len(build.Steps) != 1 {
		t.Errorf("collectstatic: false still collects: %+v", build.Steps)
	}
	if _, err := planFor(t, "", files("Django==5.2\n")); err == nil || !strings.Contains(err.Error(), "gunicorn is not a dependency") {
		t.Errorf("Django without gunicorn: %v", err)
	}
}

func texts(strs []plan.Str) []string {
	out := make([]string, len(strs))
	for i, s := range strs {
		out[i] = s.Text
	}
	return out
}
