package golang

import (
	"bytes"
	"context"
	"errors"
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"strings"

	"github.com/strata-build/strata/frontend/source"
)

// headBytes is enough of a .go file to see its build constraints and
// package clause.
const headBytes = 4096

// mainPackages lists the main packages Strata looks for without walking the
// context: the root and each cmd/<name>.
func mainPackages(ctx context.Context, fsys source.FS) ([]string, error) {
	return mainPackagesIn(ctx, fsys, ".")
}

// mainPackagesIn lists the main packages of the module in dir: dir itself
// and each dir/cmd/<name>, as ./-paths relative to the context.
func mainPackagesIn(ctx context.Context, fsys source.FS, mod string) ([]string, error) {
	var found []string
	if ok, err := isMain(ctx, fsys, mod); err != nil {
		return nil, err
	} else if ok {
		found = append(found, pkgPath(mod))
	}
	entries, err := fsys.ReadDir(ctx, path.Join(mod, "cmd"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, e := range entries {
		if !e.IsDir {
			continue
		}
		dir := path.Join(mod, "cmd", e.Name)
		if ok, err := isMain(ctx, fsys, dir); err != nil {
			return nil, err
		} else if ok {
			found = append(found, pkgPath(dir))
		}
	}
	return found, nil
}

// pkgPath writes a context directory as the go command names a package.
func pkgPath(dir string) string {
	if dir == "." {
		return "."
	}
	return "./" + dir
}

func isMain(ctx context.Context, fsys source.FS, dir string) (bool, error) {
	name, err := packageIn(ctx, fsys, dir)
	return name == "main", err
}

// packageIn is the package name of dir's first .go file that is built,
// "" when dir holds none.
func packageIn(ctx context.Context, fsys source.FS, dir string) (string, error) {
	entries, err := fsys.ReadDir(ctx, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	for _, e := range entries {
		if e.IsDir || !strings.HasSuffix(e.Name, ".go") || strings.HasSuffix(e.Name, "_test.go") {
			continue
		}
		head, err := fsys.ReadFile(ctx, path.Join(dir, e.Name), headBytes)
		if err != nil {
			return "", err
		}
		if name, ok := packageName(head); ok {
			return name, nil
		}
	}
	return "", nil
}

// packageName reads the package clause of a file head, skipping files that
// are never built (//go:build ignore, as code generators use).
func packageName(head []byte) (string, bool) {
	for _, line := range bytes.Split(head, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if bytes.HasPrefix(t, []byte("//go:build")) && bytes.Contains(t, []byte("ignore")) {
			return "", false
		}
		if bytes.HasPrefix(t, []byte("package ")) {
			break
		}
	}
	f, err := parser.ParseFile(token.NewFileSet(), "", head, parser.PackageClauseOnly)
	if err != nil || f.Name == nil {
		return "", false
	}
	return f.Name.Name, true
}
