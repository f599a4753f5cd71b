// Package detect knows the providers and picks the one for an app: the one
// named by `app:` (or by its section), else the first whose files are in
// the build context.
package detect

import (
	"context"
	"fmt"
	"sort"

	"github.com/strata-build/strata/frontend/provider"
	"github.com/strata-build/strata/frontend/provider/golang"
	"github.com/strata-build/strata/frontend/provider/node"
	"github.com/strata-build/strata/frontend/provider/python"
	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/frontend/spec"
)

// Providers in detection order.
var Providers = []provider.Provider{golang.New(), node.New(), python.New()}

// Names are the provider names, which are also the description's sections.
func Names() []string {
	out := make([]string, 0, len(Providers))
	for _, p := range Providers {
		out = append(out, p.Name())
	}
	return out
}

// Patterns are the context paths detection and planning may read.
func Patterns(s *spec.Spec) []string {
	set := map[string]bool{}
	for _, p := range Providers {
		if chosen, _, ok := named(s); ok && chosen != p.Name() {
			continue
		}
		for _, pat := range p.Patterns() {
			set[pat] = true
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// named is the provider the description asks for, and where it asks.
func named(s *spec.Spec) (string, spec.Pos, bool) {
	if s.App.Set {
		return s.App.V, s.App.Pos, true
	}
	for name, sec := range s.Sections {
		return name, sec.Pos, true // Parse allows one section without `app:`
	}
	return "", spec.Pos{}, false
}

// Select returns the provider and why it was chosen (for `strata plan`).
func Select(ctx context.Context, s *spec.Spec, fsys source.FS) (provider.Provider, string, error) {
	if name, pos, ok := named(s); ok {
		for _, p := range Providers {
			if p.Name() == name {
				return p, fmt.Sprintf("%s line %d", s.File, pos.Line), nil
			}
		}
	}
	for _, p := range Providers {
		ok, err := p.Detect(ctx, fsys)
		if err != nil {
			return nil, "", fmt.Errorf("detecting %s: %w", p.Name(), err)
		}
		if ok {
			return p, "detected from the build context", nil
		}
	}
	return nil, "", &spec.Error{File: s.File, Msg: "no app found in the build context",
		Hint: fmt.Sprintf("Strata looks for %s; name the app with `app: <name>` (one of %v)", describeFiles(), Names())}
}

func describeFiles() string {
	return "go.mod or go.work, package.json, or pyproject.toml or requirements.txt at the root"
}
