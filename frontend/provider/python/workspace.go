package python

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/frontend/spec"
)

// member is a uv workspace member: its directory and its project.
type member struct {
	dir  string // relative to the context root
	name string // [project] name, normalized
	proj *project
}

// resolveWorkspace reads the members of a uv workspace ([tool.uv.workspace]
// in the root pyproject.toml) and picks the one python.package names; with
// no python.package, a root that is a project itself is the app.
func (r *resolver) resolveWorkspace(ctx context.Context) error {
	pkg := r.cfg.Package
	ws := r.proj.Tool.UV.Workspace
	if ws == nil {
		if pkg.Set {
			return r.Spec.Errorf(pkg.Pos, "python.package", "add [tool.uv.workspace] members to pyproject.toml, or remove the key", "python.package names a uv workspace member, but pyproject.toml has no [tool.uv.workspace]")
		}
		r.deps = r.projectDeps()
		return nil
	}
	members, err := readMembers(ctx, r.in.Context, ws.Members, ws.Exclude)
	if err != nil {
		return err
	}
	r.workspace = members
	var names []string
	for _, m := range members {
		names = append(names, m.name)
	}
	if !pkg.Set {
		if r.proj.Project.Name == "" {
			return fmt.Errorf("pyproject.toml: the uv workspace root is not a project, so Strata cannot tell which member to build (set `python: {package: …}` to one of %s)", strings.Join(names, ", "))
		}
		r.deps = r.projectDeps()
		return nil
	}
	i := slices.IndexFunc(members, func(m member) bool { return m.name == normalize(pkg.V) })
	if i < 0 {
		return r.Spec.Errorf(pkg.Pos, "python.package", spec.Suggest(pkg.V, names), fmt.Sprintf("%q is not a member of the uv workspace", pkg.V))
	}
	r.member = &members[i]
	r.Set("workspace member", r.member.name+" ("+r.member.dir+")", r.At(pkg.Pos))
	r.deps = projectDeps(r.member.proj)
	return nil
}

// readMembers finds the member directories by their globs, asking the
// context for the globs' pyproject.toml files (one transfer), never walking
// it; as uv does, the root is a member when it is a project, and each
// member must be one.
func readMembers(ctx context.Context, fsys source.FS, globs, exclude []string) ([]member, error) {
	for _, g := range globs {
		if msg := spec.CheckContextPath(g); msg != "" || strings.Contains(g, "**") {
			if msg == "" {
				msg = "** is not expanded by Strata (name each directory level with *)"
			}
			return nil, fmt.Errorf("pyproject.toml: [tool.uv.workspace] members %q: %s", g, msg)
		}
	}
	// One transfer of the globs' pyproject.toml files, then only the
	// directories the globs lead through are listed.
	dirs, err := source.GlobAll(ctx, fsys, globs, "pyproject.toml")
	if err != nil {
		return nil, fmt.Errorf("pyproject.toml: [tool.uv.workspace] members %q: %v", globs, err)
	}
	var out []member
	for _, dir := range dirs {
		if excluded(dir, exclude) {
			continue
		}
		file := dir + "/pyproject.toml"
		p, err := readProjectFile(ctx, fsys, file)
		if err != nil {
			return nil, err
		}
		if p == nil {
			continue // a directory without a project: not a member
		}
		if p.Project.Name == "" {
			return nil, fmt.Errorf("%s: a uv workspace member needs a [project] name", file)
		}
		out = append(out, member{dir: dir, name: normalize(p.Project.Name), proj: p})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("pyproject.toml: [tool.uv.workspace] members %q match no directory with a pyproject.toml", globs)
	}
	return out, nil
}

func excluded(dir string, globs []string) bool {
	return slices.ContainsFunc(globs, func(g string) bool { ok, _ := path.Match(path.Clean(g), dir); return ok })
}
