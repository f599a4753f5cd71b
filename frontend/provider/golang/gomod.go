package golang

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/frontend/spec"
)

// module is what Strata needs from go.mod (and go.work when present).
type module struct {
	Path string
	// Go is the version the module requires, and where that was read.
	Go    goVersion
	GoSrc string
	// Toolchain is set when a toolchain line names an exact release.
	Toolchain    *goVersion
	ToolchainSrc string
	Requires     []requirement
	// Workspace lists go.work members (their directories), nil without go.work.
	Workspace []string
	// MemberPaths are the module paths of the go.work members, by directory.
	MemberPaths map[string]string
	// LocalReplaces are directories that replace directives point at; the
	// download step needs their go.mod to resolve the module graph.
	LocalReplaces []string
}

// requirement is a require line of go.mod: the module, its version and
// where the line is, for findings about it.
type requirement struct {
	Path, Version string
	Pos           spec.Pos
}

// dependencyFiles are the only files the download step sees.
func (m *module) dependencyFiles() []string {
	files := []string{"go.mod", "go.sum"}
	if m.Workspace != nil {
		files = append(files, "go.work", "go.work.sum")
		for _, dir := range m.Workspace {
			if dir == "." {
				continue
			}
			files = append(files, path.Join(dir, "go.mod"), path.Join(dir, "go.sum"))
		}
	}
	for _, dir := range m.LocalReplaces {
		files = append(files, path.Join(dir, "go.mod"))
	}
	sort.Strings(files)
	files = slices.Compact(files)
	return files
}

// maxModFile caps what is read of go.mod and go.work (the largest real ones
// are a few hundred KiB), so a hostile context cannot make detection read
// without bound.
const maxModFile = 4 << 20

// maxSumFile caps go.sum, which grows with every module version ever required.
const maxSumFile = 64 << 20

func readModule(ctx context.Context, fsys source.FS) (*module, error) {
	m := &module{}
	modData, err := source.ReadAll(ctx, fsys, "go.mod", maxModFile)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err == nil {
		f, err := modfile.Parse("go.mod", modData, nil)
		if err != nil {
			// modfile's errors name the file and line already.
			return nil, fmt.Errorf("%w (fix go.mod; `go mod tidy` rewrites it)", err)
		}
		if f.Module != nil {
			m.Path = f.Module.Mod.Path
		}
		for _, r := range f.Require {
			m.Requires = append(m.Requires, requirement{Path: r.Mod.Path, Version: r.Mod.Version,
				Pos: spec.Pos{Line: r.Syntax.Start.Line, Column: r.Syntax.Start.LineRune}})
		}
		if err := m.addLocalReplaces("go.mod", ".", f.Replace); err != nil {
			return nil, err
		}
		if err := m.setVersions("go.mod", f.Go, f.Toolchain); err != nil {
			return nil, err
		}
	}

	workData, err := source.ReadAll(ctx, fsys, "go.work", maxModFile)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err == nil {
		w, err := modfile.ParseWork("go.work", workData, nil)
		if err != nil {
			return nil, fmt.Errorf("%w (fix go.work; `go work sync` rewrites it)", err)
		}
		m.Workspace = []string{}
		for _, u := range w.Use {
			dir := path.Clean(filepath.ToSlash(u.Path))
			if path.IsAbs(dir) || dir == ".." || strings.HasPrefix(dir, "../") {
				return nil, fmt.Errorf("go.work line %d: use %s points outside the build context (build from a directory that holds the whole workspace)", u.Syntax.Start.Line, u.Path)
			}
			m.Workspace = append(m.Workspace, dir)
		}
		if err := m.addLocalReplaces("go.work", ".", w.Replace); err != nil {
			return nil, err
		}
		if err := m.readMembers(ctx, fsys); err != nil {
			return nil, err
		}
		// go.work governs the toolchain in workspace mode.
		if err := m.setVersions("go.work", w.Go, w.Toolchain); err != nil {
			return nil, err
		}
	}
	if modData == nil && workData == nil {
		return nil, errors.New("neither go.mod nor go.work found at the root of the build context")
	}
	if m.GoSrc == "" && modData == nil {
		return nil, fmt.Errorf("go.work has no `go` line: run `go work edit -go=<version>`")
	}
	if m.GoSrc == "" {
		return nil, fmt.Errorf("go.mod has no `go` line: run `go mod edit -go=<version>`")
	}
	return m, nil
}

func (m *module) setVersions(file string, g *modfile.Go, tc *modfile.Toolchain) error {
	if g != nil {
		v, err := parseGoVersion(g.Version)
		if err != nil {
			return fmt.Errorf("%s line %d: %w", file, g.Syntax.Start.Line, err)
		}
		m.Go, m.GoSrc = v, fmt.Sprintf("%s line %d", file, g.Syntax.Start.Line)
	}
	if tc != nil && tc.Name != "default" {
		v, err := parseGoVersion(tc.Name)
		if err != nil {
			return fmt.Errorf("%s line %d: toolchain: %w", file, tc.Syntax.Start.Line, err)
		}
		m.Toolchain, m.ToolchainSrc = &v, fmt.Sprintf("%s line %d", file, tc.Syntax.Start.Line)
	}
	return nil
}

// readMembers reads the go.mod of each go.work member for its replace
// directives; detection did not transfer them, so they are fetched first.
func (m *module) readMembers(ctx context.Context, fsys source.FS) error {
	var mods []string
	for _, dir := range m.Workspace {
		if dir != "." {
			mods = append(mods, path.Join(dir, "go.mod"))
		}
	}
	if err := source.Fetch(ctx, fsys, mods); err != nil {
		return err
	}
	for _, name := range mods {
		dt, err := source.ReadAll(ctx, fsys, name, maxModFile)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("go.work uses %s, which has no go.mod", path.Dir(name))
		} else if err != nil {
			return err
		}
		f, err := modfile.Parse(name, dt, nil)
		if err != nil {
			return err
		}
		if f.Module != nil {
			if m.MemberPaths == nil {
				m.MemberPaths = map[string]string{}
			}
			m.MemberPaths[path.Dir(name)] = f.Module.Mod.Path
		}
		if err := m.addLocalReplaces(name, path.Dir(name), f.Replace); err != nil {
			return err
		}
	}
	return nil
}

// addLocalReplaces records replace directives (in file, whose directory is
// dir) that point at a directory. One outside the build context could never
// build, so it is an error.
func (m *module) addLocalReplaces(file, dir string, replaces []*modfile.Replace) error {
	for _, r := range replaces {
		if r.New.Version != "" {
			continue // a module version, fetched like any other
		}
		target := filepath.ToSlash(r.New.Path)
		if !path.IsAbs(target) {
			target = path.Join(dir, target)
		}
		if path.IsAbs(target) || target == ".." || strings.HasPrefix(target, "../") {
			return fmt.Errorf("%s line %d: replace %s => %s points outside the build context (build from a directory that holds both, or vendor the module)",
				file, r.Syntax.Start.Line, r.Old.Path, r.New.Path)
		}
		m.LocalReplaces = append(m.LocalReplaces, target)
	}
	return nil
}
