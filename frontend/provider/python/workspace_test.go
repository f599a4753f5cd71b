package python

import (
	"context"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/provider"
	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/frontend/spec"
)

func workspaceFiles() map[string]string {
	return map[string]string{
		"pyproject.toml":                   "[tool.uv.workspace]\nmembers = [\"packages/*\", \"tools/cli\"]\nexclude = [\"packages/old\"]\n",
		"uv.lock":                          "",
		"packages/api/pyproject.toml":      "[project]\nname = \"API_Server\"\ndependencies = [\"flask\", \"gunicorn\", \"greeting\"]\n[dependency-groups]\ndev = [\"pytest\"]\n",
		"packages/api/app.py":              "app = Flask(__name__)\n",
		"packages/greeting/pyproject.toml": "[project]\nname = \"greeting\"\n",
		"packages/old/pyproject.toml":      "[project]\nname = \"legacy\"\n",
		"packages/README.md":               "",
		"tools/cli/pyproject.toml":         "[project]\nname = \"cli\"\n[project.scripts]\ncli = \"cli:main\"\n",
		"docs/pyproject.toml":              "[project]\nname = \"docs\"\n",
	}
}

// python.package builds one member of a uv workspace: the dependency sync
// sees the root's and every member's pyproject.toml and installs no
// member; the member installs with the source; its start comes from its
// own files.
func TestUVWorkspace(t *testing.T) {
	p, err := planFor(t, "python:\n  package: api-server\n", workspaceFiles())
	if err != nil {
		t.Fatal(err)
	}
	if got := setting(p, "workspace member"); got != "api-server (packages/api)" {
		t.Errorf("member %q", got)
	}
	deps, _ := p.Stage("deps")
	sync := deps.Steps[len(deps.Steps)-2] // then the bytecode
	if got := strings.Join(texts(sync.Run.Args), " "); got != "uv sync --frozen --no-install-workspace --no-dev --package api-server" {
		t.Errorf("deps sync %q", got)
	}
	var binds []string
	for _, m := range sync.Run.Mounts {
		if m.Type == plan.BindMount {
			binds = append(binds, m.From.Path)
		}
	}
	// Excluded, non-member and non-project paths are not members.
	if want := []string{"pyproject.toml", "uv.lock", "packages/api/pyproject.toml", "packages/greeting/pyproject.toml", "tools/cli/pyproject.toml"}; !slices.Equal(binds, want) {
		t.Errorf("deps sees %q, want %q", binds, want)
	}
	build, _ := p.Stage("build")
	if got := stepNames(build); !slices.Equal(got, []string{"copy the source", "uv sync --locked --no-dev --no-editable --package api-server", "compile the virtualenv's bytecode"}) {
		t.Errorf("build steps %q", got)
	}
	test, _ := p.Stage("test")
	if got := stepNames(test); !slices.Equal(got, []string{"uv sync --locked --package api-server", "python -m pytest"}) {
		t.Errorf("test steps %q", got)
	}
	img := p.DefaultTarget().Image
	if got := strings.Join(texts(img.Cmd), " "); got != "gunicorn --chdir packages/api app:app" || img.Labels["org.opencontainers.image.title"] != "API_Server" {
		t.Errorf("cmd %q labels %v", got, img.Labels)
	}
	// A member with a script starts with it.
	p, err = planFor(t, "python:\n  package: cli\n", workspaceFiles())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(texts(p.DefaultTarget().Image.Cmd), " "); got != "cli" {
		t.Errorf("cli cmd %q", got)
	}
}

func TestUVWorkspaceErrors(t *testing.T) {
	files := workspaceFiles()
	cases := []struct {
		name, desc string
		files      map[string]string
		errText    string
	}{
		{"typo", "python:\n  package: greting\n", files, "Dockerfile:2:12: python.package: \"greting\" is not a member of the uv workspace (did you mean `greeting`?)"},
		{"excluded member", "python:\n  package: legacy\n", files, "\"legacy\" is not a member of the uv workspace (expected one of: api-server, cli, greeting)"},
		{"virtual root without package", "", files, "the uv workspace root is not a project, so Strata cannot tell which member to build (set `python: {package: …}` to one of api-server, greeting, cli)"},
		{"no workspace", "python:\n  package: api\n", map[string]string{"uv.lock": "", "pyproject.toml": "[project]\nname = \"x\"\n", "main.py": ""}, "Dockerfile:2:12: python.package: python.package names a uv workspace member, but pyproject.toml has no [tool.uv.workspace]"},
		{"pdm", "python:\n  package: api\n", map[string]string{"pdm.lock": "", "pyproject.toml": "[project]\nname = \"x\"\n", "main.py": ""}, "python.package: python.package picks a uv workspace member, and Strata builds workspaces with uv only"},
		{"no members", "python:\n  package: api\n", map[string]string{"uv.lock": "", "pyproject.toml": "[tool.uv.workspace]\nmembers = [\"libs/*\"]\n"}, "members [\"libs/*\"] match no directory with a pyproject.toml"},
		{"member outside", "", map[string]string{"uv.lock": "", "pyproject.toml": "[tool.uv.workspace]\nmembers = [\"../x\"]\n"}, "members \"../x\": path ../x leaves the build context"},
		{"double star", "", map[string]string{"uv.lock": "", "pyproject.toml": "[tool.uv.workspace]\nmembers = [\"libs/**\"]\n"}, "** is not expanded"},
		{"bad member toml", "python:\n  package: api\n", map[string]string{"uv.lock": "", "pyproject.toml": "[tool.uv.workspace]\nmembers = [\"libs/*\"]\n", "libs/a/pyproject.toml": "[project\n"}, "libs/a/pyproject.toml:1:"},
		{"unnamed member", "python:\n  package: api\n", map[string]string{"uv.lock": "", "pyproject.toml": "[tool.uv.workspace]\nmembers = [\"libs/*\"]\n", "libs/a/pyproject.toml": "[project]\n"}, "libs/a/pyproject.toml: a uv workspace member needs a [project] name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := planFor(t, c.desc, c.files)
			if err == nil || !strings.Contains(err.Error(), c.errText) {
				t.Fatalf("err = %v, want %q", err, c.errText)
			}
		})
	}
}

// A workspace whose root is a project builds the root: no --package.
func TestUVWorkspaceRootProject(t *testing.T) {
	files := map[string]string{
		"pyproject.toml":          "[project]\nname = \"svc\"\ndependencies = [\"lib\"]\n[tool.uv.workspace]\nmembers = [\"libs/*\"]\n",
		"uv.lock":                 "",
		"libs/lib/pyproject.toml": "[project]\nname = \"lib\"\n",
		"main.py":                 "",
	}
	p, err := planFor(t, "", files)
	if err != nil {
		t.Fatal(err)
	}
	deps, _ := p.Stage("deps")
	if got := deps.Steps[len(deps.Steps)-2].Name; got != "uv sync --frozen --no-install-workspace --no-dev" {
		t.Errorf("deps sync %q", got)
	}
	if cmd := strings.Join(texts(p.DefaultTarget().Image.Cmd), " "); cmd != "python main.py" {
		t.Errorf("cmd %q", cmd)
	}
}

// narrowMap is a context narrowed like the frontend's to the provider's
// patterns: other files exist only once fetched, by name or by glob.
type narrowMap struct {
	source.Map
	hidden  map[string]string
	fetched []string
}

func (f *narrowMap) Fetch(_ context.Context, paths []string) error {
	for _, p := range paths {
		f.fetched = append(f.fetched, p)
		for name, dt := range f.hidden {
			if ok, _ := path.Match(p, name); ok {
				f.Files[name] = dt
			}
		}
	}
	return nil
}

// Planning a member asks the context for the members' pyproject.toml by
// glob and for the member's entry files by name: nothing else, no walk.
func TestUVWorkspaceFetches(t *testing.T) {
	all := workspaceFiles()
	fsys := &narrowMap{Map: source.Map{Files: map[string]string{}}, hidden: map[string]string{}}
	for name, dt := range all {
		if !strings.Contains(name, "/") {
			fsys.Files[name] = dt // the root's files match the detection patterns
		} else {
			fsys.hidden[name] = dt
		}
	}
	s, err := spec.Parse("Dockerfile", []byte("python:\n  package: api-server\n"), []string{"python"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := New().Plan(context.Background(), provider.Input{Spec: s, Context: fsys})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(texts(p.DefaultTarget().Image.Cmd), " "); got != "gunicorn --chdir packages/api app:app" {
		t.Errorf("cmd %q", got)
	}
	want := []string{"packages/*/pyproject.toml", "tools/cli/pyproject.toml", "packages/api/main.py", "packages/api/app.py"}
	if !slices.Equal(fsys.fetched, want) {
		t.Errorf("fetched %q, want %q", fsys.fetched, want)
	}
	for dir := range fsys.Reads {
		if strings.HasSuffix(dir, "/") && dir != "./" && dir != "packages/" && dir != "tools/" && dir != "tools/cli/" {
			t.Errorf("listed %s, off the globs' way", dir)
		}
	}
}
