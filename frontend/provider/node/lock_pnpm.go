package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/strata-build/strata/frontend/source"
)

// pnpmLock is what Strata reads of pnpm-lock.yaml (lockfile v6 and v9).
type pnpmLock struct {
	LockfileVersion string `yaml:"lockfileVersion"`
	Importers       map[string]struct {
		Dependencies         map[string]pnpmDep `yaml:"dependencies"`
		DevDependencies      map[string]pnpmDep `yaml:"devDependencies"`
		OptionalDependencies map[string]pnpmDep `yaml:"optionalDependencies"`
	} `yaml:"importers"`
	Packages map[string]struct {
		RequiresBuild bool     `yaml:"requiresBuild"`
		OS            []string `yaml:"os"`
		CPU           []string `yaml:"cpu"`
	} `yaml:"packages"`
}

type pnpmDep struct {
	Specifier string `yaml:"specifier"`
}

// pnpmWorkspace is what Strata reads of pnpm-workspace.yaml.
type pnpmWorkspace struct {
	OnlyBuiltDependencies []string        `yaml:"onlyBuiltDependencies"`
	AllowBuilds           map[string]bool `yaml:"allowBuilds"`
}

// readPnpmLock checks pnpm-lock.yaml against package.json (pnpm install
// --frozen-lockfile refuses one out of sync) and finds packages whose
// install builds native code: pnpm runs build scripts only for the
// packages allowed to (onlyBuiltDependencies, allowBuilds), and Strata
// honours that list rather than bypass it.
func readPnpmLock(ctx context.Context, fsys source.FS, name string, m *manifest) (string, error) {
	dt, err := source.ReadAll(ctx, fsys, name, maxManifest)
	if err != nil {
		return "", err
	}
	var l pnpmLock
	if err := yaml.Unmarshal(dt, &l); err != nil {
		return "", fmt.Errorf("%s: %v (regenerate it with pnpm install)", name, err)
	}
	if l.LockfileVersion == "" || l.LockfileVersion < "6" {
		return "", fmt.Errorf("%s: lockfileVersion %q is too old (run pnpm install with pnpm 8 or newer and commit the new lockfile)", name, l.LockfileVersion)
	}
	root := l.Importers["."]
	for _, d := range []struct {
		kind string
		want map[string]string
		have map[string]pnpmDep
	}{
		{"dependencies", m.Dependencies, root.Dependencies},
		{"devDependencies", m.DevDependencies, root.DevDependencies},
		{"optionalDependencies", m.Optional, root.OptionalDependencies},
	} {
		have := map[string]string{}
		for k, v := range d.have {
			have[k] = v.Specifier
		}
		if diff := mapDiff(d.want, have); diff != "" {
			return "", fileError(ruleLockfileOutOfSync, name, fmt.Sprintf("package.json and %s are out of sync: %s %s", name, d.kind, diff), "run pnpm install and commit "+name)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(l.Packages)) {
		if pkg := l.Packages[p]; pkg.RequiresBuild || len(pkg.OS) > 0 || len(pkg.CPU) > 0 {
			return strings.TrimPrefix(p, "/") + " has an install script or is platform-specific", nil
		}
	}
	built := slices.Clone(m.Pnpm.OnlyBuiltDependencies)
	ws, err := source.ReadAll(ctx, fsys, "pnpm-workspace.yaml", maxManifest)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err == nil {
		var w pnpmWorkspace
		if err := yaml.Unmarshal(ws, &w); err != nil {
			return "", fmt.Errorf("pnpm-workspace.yaml: %v", err)
		}
		built = append(built, w.OnlyBuiltDependencies...)
		for name, allowed := range w.AllowBuilds {
			if allowed {
				built = append(built, name)
			}
		}
	}
	if len(built) > 0 {
		return built[0] + " may run its build script (onlyBuiltDependencies, allowBuilds)", nil
	}
	return "", nil
}
