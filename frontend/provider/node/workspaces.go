package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/frontend/spec"
)

// workspace is the member of a monorepo that `node.workspace` builds, with
// the other members it needs.
type workspace struct {
	dir string    // the member's directory, e.g. apps/web
	pkg *manifest // its package.json
	// members are every member's directory, sorted; their package.json
	// files are what the install sees besides the root's.
	members []string
	// build is the member and the workspace packages it depends on in any
	// way, dependencies first: what the build step builds.
	build []string
	// runtime is the member and the workspace packages it needs at run
	// time (dependencies and optionalDependencies): what the image holds.
	runtime []string
	// pkgs are the members' package.json files, by directory.
	pkgs map[string]*manifest
	// built are the members of build that have a build script, in order.
	built []string
}

// name is a member's package name.
func (w *workspace) name(dir string) string { return w.pkgs[dir].Name }

// globs are the root's workspace patterns and the file that lists them;
// none when the context root is no workspace.
type globs struct {
	file     string
	patterns []string
}

// readGlobs reads the workspace patterns: pnpm's from pnpm-workspace.yaml
// (pnpm ignores package.json's), the others' from package.json workspaces
// (a list, or yarn 1's {packages: […]}).
func readGlobs(ctx context.Context, fsys source.FS, manager string) (globs, error) {
	if manager == "pnpm" {
		dt, err := source.ReadAll(ctx, fsys, "pnpm-workspace.yaml", maxManifest)
		if errors.Is(err, fs.ErrNotExist) {
			return globs{}, nil
		} else if err != nil {
			return globs{}, err
		}
		var w struct {
			Packages []string `yaml:"packages"`
		}
		if err := yaml.Unmarshal(dt, &w); err != nil {
			return globs{}, fmt.Errorf("pnpm-workspace.yaml: %v", err)
		}
		return checkGlobs(globs{file: "pnpm-workspace.yaml packages", patterns: w.Packages})
	}
	dt, err := source.ReadAll(ctx, fsys, "package.json", maxManifest)
	if err != nil {
		return globs{}, err
	}
	var m struct {
		Workspaces json.RawMessage `json:"workspaces"`
	}
	if err := json.Unmarshal(dt, &m); err != nil || len(m.Workspaces) == 0 {
		return globs{}, nil // readManifest reported bad JSON already
	}
	var list []string
	if json.Unmarshal(m.Workspaces, &list) != nil {
		var obj struct {
			Packages []string `json:"packages"`
		}
		if err := json.Unmarshal(m.Workspaces, &obj); err != nil {
			return globs{}, fmt.Errorf("package.json: workspaces must be a list of directory patterns, or {\"packages\": [...]}")
		}
		list = obj.Packages
	}
	return checkGlobs(globs{file: "package.json workspaces", patterns: list})
}

// checkGlobs refuses patterns that would leave the context.
func checkGlobs(g globs) (globs, error) {
	for _, p := range g.patterns {
		clean := path.Clean(strings.TrimPrefix(p, "!"))
		if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
			return globs{}, fmt.Errorf("%s: %q points outside the build context (list member directories inside it)", g.file, p)
		}
	}
	return g, nil
}

// listMembers finds the members: directories the positive patterns match
// that hold a package.json, less those a `!pattern` excludes. Only those
// package.json files are fetched from the context, never a walk of it.
func listMembers(ctx context.Context, fsys source.FS, g globs) ([]string, error) {
	var include, exclude []string
	for _, p := range g.patterns {
		if rest, ok := strings.CutPrefix(p, "!"); ok {
			exclude = append(exclude, path.Clean(rest))
		} else {
			include = append(include, path.Clean(p))
		}
	}
	dirs, err := source.GlobAll(ctx, fsys, include, "package.json")
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(dirs, func(d string) bool {
		return d == "." || slices.ContainsFunc(exclude, func(x string) bool { return source.Match(x, d) || source.Match(x+"/**", d) })
	}), nil
}

// resolveWorkspace reads `node.workspace`: the member must be one the
// workspace patterns list. From here on r.pkg is the member's package.json.
func (r *resolver) resolveWorkspace(ctx context.Context) error {
	v := r.cfg.Workspace
	if !v.Set {
		return nil
	}
	fail := func(hint, msg string) error { return r.Spec.Errorf(v.Pos, "node.workspace", hint, msg) }
	dir := path.Clean(v.V)
	if v.V == "" || path.IsAbs(dir) || dir == ".." || strings.HasPrefix(dir, "../") {
		return fail("write the member's directory relative to the build context, such as apps/web", fmt.Sprintf("%q is not a directory inside the build context", v.V))
	}
	if r.mgr.workspace == nil {
		return fail("build the member on its own, or use npm, pnpm or yarn", fmt.Sprintf("Strata builds workspace members with npm, pnpm and yarn, not %s yet", r.mgr.name))
	}
	g, err := readGlobs(ctx, r.in.Context, r.manager)
	if err != nil {
		return err
	}
	if len(g.patterns) == 0 {
		where := "package.json has no workspaces"
		if r.manager == "pnpm" {
			where = "pnpm-workspace.yaml lists no packages"
		}
		return fail("declare the workspace's members, or remove node.workspace to build the context root", where+": the context root is not a workspace")
	}
	members, err := listMembers(ctx, r.in.Context, g)
	if err != nil {
		return err
	}
	if !slices.Contains(members, dir) {
		hint := "its patterns match no member with a package.json"
		if len(members) > 0 {
			hint = spec.Suggest(dir, members)
		}
		return fail(hint, fmt.Sprintf("%s is not a member of the workspace (%s: %s)", dir, g.file, strings.Join(g.patterns, ", ")))
	}
	w, err := r.readWorkspace(ctx, dir, members)
	if err != nil {
		return err
	}
	// The framework configs detection read at the root, in the member.
	var configs []string
	for _, f := range memberConfigs() {
		configs = append(configs, join(dir, f))
	}
	if err := source.Fetch(ctx, r.in.Context, configs); err != nil {
		return err
	}
	r.ws = w
	r.pkg = w.pkg
	r.Set("workspace member", dir, r.At(v.Pos))
	r.Set("workspace packages built", strings.Join(w.build, ", "), dir+" and the workspace packages it depends on (any kind of dependency), dependencies first")
	r.Set("workspace packages in the image", strings.Join(w.runtime, ", "), "the member and the workspace packages its dependencies (not devDependencies) reach")
	return nil
}

// readWorkspace reads every member's package.json and follows the
// member's workspace dependencies.
func (r *resolver) readWorkspace(ctx context.Context, dir string, members []string) (*workspace, error) {
	pkgs := map[string]*manifest{}
	w := &workspace{dir: dir, members: members, pkgs: pkgs}
	byName := map[string]string{}
	for _, m := range members {
		pkg, err := readManifest(ctx, r.in.Context, m)
		if err != nil {
			return nil, err
		}
		pkgs[m] = pkg
		if pkg.Name == "" {
			continue
		}
		if other, ok := byName[pkg.Name]; ok {
			return nil, fmt.Errorf("%s/package.json: name %q is also %s's: workspace members need names of their own", m, pkg.Name, other)
		}
		byName[pkg.Name] = m
	}
	w.pkg = pkgs[dir]
	if w.pkg.Name == "" {
		return nil, fmt.Errorf("%s/package.json: no name (the package managers select workspace members by name: add one)", dir)
	}
	local := func(pkg *manifest, dev bool) []string {
		var out []string
		kinds := []map[string]string{pkg.Dependencies, pkg.Optional}
		if dev {
			kinds = append(kinds, pkg.DevDependencies)
		}
		for _, deps := range kinds {
			for name, specifier := range deps {
				m, ok := byName[name]
				// pnpm links a workspace package only through workspace:.
				if ok && (r.manager != "pnpm" || strings.HasPrefix(specifier, "workspace:")) && !slices.Contains(out, m) {
					out = append(out, m)
				}
			}
		}
		slices.Sort(out)
		return out
	}
	w.build = closure(dir, func(m string) []string { return local(pkgs[m], true) })
	w.runtime = closure(dir, func(m string) []string { return local(pkgs[m], false) })
	slices.Sort(w.runtime)
	for _, m := range w.build {
		if _, ok := pkgs[m].Scripts["build"]; ok {
			w.built = append(w.built, m)
		}
	}
	return w, nil
}

// closure is start and what deps reaches from it, each after its own
// dependencies (a cycle is cut where it closes).
func closure(start string, deps func(string) []string) []string {
	var out []string
	seen := map[string]bool{}
	var visit func(string)
	visit = func(m string) {
		if seen[m] {
			return
		}
		seen[m] = true
		for _, d := range deps(m) {
			visit(d)
		}
		out = append(out, m)
	}
	visit(start)
	return out
}

// workspaceRootError is the zero-config error on a workspace root that
// has nothing to start: it names the members node.workspace may pick.
func (r *resolver) workspaceRootError(ctx context.Context) error {
	if r.ws != nil || r.mgr == nil {
		return nil
	}
	g, err := readGlobs(ctx, r.in.Context, r.manager)
	if err != nil || len(g.patterns) == 0 {
		return err
	}
	members, err := listMembers(ctx, r.in.Context, g)
	if err != nil || len(members) == 0 {
		return err
	}
	return r.Spec.Errorf(r.cfg.Workspace.Pos, "node.workspace",
		fmt.Sprintf("set `node: {workspace: %s}` to build one of them", members[0]),
		fmt.Sprintf("package.json is a workspace root with no start script; its members (%s) are: %s", g.file, strings.Join(members, ", ")))
}

// resolveWorkspaceBuild: the member's build is the build scripts of the
// member and of the workspace packages it needs, dependencies first.
func (r *resolver) resolveWorkspaceBuild() {
	r.wsBuild = r.mgr.workspace.build(r.ws)
	if len(r.wsBuild) == 0 {
		r.Set("build command", "none", "no build script in "+strings.Join(r.ws.build, ", "))
		return
	}
	var cmds []string
	for _, c := range r.wsBuild {
		cmds = append(cmds, strings.Join(c, " "))
	}
	r.build = plan.Lits(r.wsBuild[len(r.wsBuild)-1]...)
	r.Set("build command", strings.Join(cmds, " && "), "scripts.build of "+strings.Join(r.ws.built, ", "))
}

// memberConfigs are the files of a member that planning reads besides its
// package.json: the frameworks' configs.
func memberConfigs() []string { return append([]string{"angular.json"}, nextConfigs...) }
