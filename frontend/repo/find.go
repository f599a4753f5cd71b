// Package repo adopts Strata across a repository (`strata init`): it finds
// every app the providers recognise, writes a description beside each, and
// a docker-bake.hcl that builds them all in one invocation.
package repo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/strata-build/strata/frontend/detect"
	"github.com/strata-build/strata/frontend/provider"
	"github.com/strata-build/strata/frontend/source"
)

// skipped are directory names never walked: version control and editor
// state (every hidden directory), installed dependencies (node_modules,
// vendor, virtualenvs), build outputs and caches, and Go's testdata, which
// holds fixtures, not apps. None of them holds an app a repository builds.
var skipped = map[string]bool{
	"node_modules": true, "bower_components": true, "vendor": true,
	"venv": true, "__pycache__": true, "site-packages": true,
	"dist": true, "build": true, "out": true, "target": true, "coverage": true,
	"testdata": true,
}

// skip reports whether a directory name is never walked.
func skip(name string) bool {
	return skipped[name] || (strings.HasPrefix(name, ".") && name != ".") || strings.HasPrefix(name, "_")
}

// Found is an app found in the repository: its build context, where its
// description goes and what the provider said of it.
type Found struct {
	Context  string // build context, relative to the repository root ("." for the root)
	Provider provider.Provider
	// Named is set when detection alone would pick another provider for
	// the context, so the description must say `app:`.
	Named bool
	provider.App
}

// Description is the description's path relative to the context.
func (f Found) Description() string { return path.Join(f.App.Dir, "Dockerfile") }

// Path is the description's path relative to the repository root.
func (f Found) Path() string { return path.Join(f.Context, f.Description()) }

// Find walks the repository at root, skipping the directories skip names
// and those a .dockerignore excludes (its patterns apply below its own
// directory, as they do to a build context there), and lists the apps of
// each directory a provider detects, as the frontend detects them: the
// first provider (in detection order) that lists an app wins the
// directory. Workspace members a context claims are no contexts of their
// own.
func Find(ctx context.Context, root string) ([]Found, error) {
	return find(ctx, root, false)
}

// find is Find; with oneImage, the apps of one context that its provider
// can build as one image (provider.Combiner) are found as that one app.
func find(ctx context.Context, root string, oneImage bool) ([]Found, error) {
	w := walker{root: root, claimed: map[string]bool{}, oneImage: oneImage}
	if err := w.walk(ctx, ".", nil); err != nil {
		return nil, err
	}
	return w.found, nil
}

type walker struct {
	root     string
	claimed  map[string]bool
	oneImage bool
	found    []Found
}

// ignore is a .dockerignore's patterns and the directory it sits in.
type ignore struct {
	dir string
	pm  *patternmatcher.PatternMatcher
}

func (w *walker) walk(ctx context.Context, dir string, ignores []ignore) error {
	abs := filepath.Join(w.root, filepath.FromSlash(dir))
	ig, err := readIgnore(abs)
	if err != nil {
		return fmt.Errorf("%s: %w", path.Join(dir, ".dockerignore"), err)
	}
	if ig != nil {
		ignores = append(slices.Clip(ignores), ignore{dir: dir, pm: ig})
	}
	if !w.claimed[dir] {
		if err := w.list(ctx, dir, abs); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() || skip(e.Name()) {
			continue
		}
		sub := path.Join(dir, e.Name())
		if ignored(ignores, sub) {
			continue
		}
		if err := w.walk(ctx, sub, ignores); err != nil {
			return err
		}
	}
	return nil
}

// list asks the providers that detect an app in dir for its apps.
func (w *walker) list(ctx context.Context, dir, abs string) error {
	fsys := source.Dir(abs)
	first := ""
	for _, p := range detect.Providers {
		ok, err := p.Detect(ctx, fsys)
		if err != nil {
			return fmt.Errorf("%s: detecting %s: %w", dir, p.Name(), err)
		}
		if !ok {
			continue
		}
		if first == "" {
			first = p.Name()
		}
		l, ok := p.(provider.Lister)
		if !ok {
			continue
		}
		apps, members, err := l.Apps(ctx, fsys)
		if err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		if len(apps) == 0 {
			continue
		}
		for _, m := range members {
			w.claimed[path.Join(dir, m)] = true
		}
		if c, ok := p.(provider.Combiner); ok && w.oneImage {
			if one, ok := c.Combine(apps); ok {
				apps = []provider.App{one}
			}
		}
		for _, a := range apps {
			w.found = append(w.found, Found{Context: dir, Provider: p, Named: p.Name() != first, App: a})
		}
		return nil
	}
	return nil
}

// readIgnore reads dir's .dockerignore, nil when there is none.
func readIgnore(dir string) (*patternmatcher.PatternMatcher, error) {
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil || len(patterns) == 0 {
		return nil, err
	}
	return patternmatcher.New(patterns)
}

// ignored reports whether a .dockerignore above dir excludes it, or all
// of its contents (`dir/**`). A .dockerignore with `!` exceptions may
// bring something below back, so its directories are still walked.
func ignored(ignores []ignore, dir string) bool {
	for _, ig := range ignores {
		if ig.pm.Exclusions() {
			continue
		}
		rel := strings.TrimPrefix(dir, ig.dir+"/")
		if ig.dir == "." {
			rel = dir
		}
		for _, p := range []string{rel, rel + "/strata-init-probe"} {
			if ok, _ := ig.pm.MatchesOrParentMatches(p); ok {
				return true
			}
		}
	}
	return false
}
