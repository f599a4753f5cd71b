package node

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/strata-build/strata/frontend/source"
)

// berryLock is what Strata reads of a yarn 2+ yarn.lock (YAML).
type berryLock struct {
	Metadata struct {
		Version int `yaml:"version"`
	} `yaml:"__metadata"`
	entries map[string]berryEntry
}

type berryEntry struct {
	Resolution   string            `yaml:"resolution"`
	Dependencies map[string]string `yaml:"dependencies"`
	Conditions   string            `yaml:"conditions"`
}

// isBerryLock tells a yarn 2+ lockfile from a yarn 1 one.
func isBerryLock(dt []byte) bool {
	return bytes.HasPrefix(dt, []byte("__metadata:")) || bytes.Contains(dt, []byte("\n__metadata:"))
}

func parseBerryLock(name string, dt []byte) (*berryLock, error) {
	var raw map[string]yaml.Node
	if err := yaml.Unmarshal(dt, &raw); err != nil {
		return nil, fmt.Errorf("%s: %v (regenerate it with yarn install)", name, err)
	}
	l := &berryLock{entries: map[string]berryEntry{}}
	for key, node := range raw {
		var err error
		if key == "__metadata" {
			err = node.Decode(&l.Metadata)
		} else {
			var e berryEntry
			err = node.Decode(&e)
			l.entries[key] = e
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %s: %v (regenerate it with yarn install)", name, node.Line, key, err)
		}
	}
	return l, nil
}

// readBerryLock checks a yarn 2+ lockfile against package.json, as yarn
// install --immutable would: the root workspace's entry lists every
// dependency (dev ones too) with the range package.json gives it. It says
// why installs must run on the target platform: a package restricted to
// some os or cpu, or install scripts yarn may run (berry lockfiles do not
// record which packages have them).
func readBerryLock(enableScripts *bool) func(context.Context, source.FS, string, *manifest) (string, error) {
	return func(ctx context.Context, fsys source.FS, name string, m *manifest) (string, error) {
		dt, err := source.ReadAll(ctx, fsys, name, maxManifest)
		if err != nil {
			return "", err
		}
		l, err := parseBerryLock(name, dt)
		if err != nil {
			return "", err
		}
		root, ok := l.rootWorkspace()
		if !ok {
			return "", fileError(ruleLockfileOutOfSync, name, name+" has no entry for the root workspace (…@workspace:.)", "run yarn install and commit "+name)
		}
		if diff := berryDiff(m, root.Dependencies); diff != "" {
			return "", fileError(ruleLockfileOutOfSync, name, fmt.Sprintf("package.json and %s are out of sync: %s", name, diff), "run yarn install and commit "+name)
		}
		for _, key := range slices.Sorted(maps.Keys(l.entries)) {
			if c := l.entries[key].Conditions; c != "" {
				return fmt.Sprintf("%s is platform-specific (%s)", l.entries[key].Resolution, c), nil
			}
		}
		if enableScripts != nil && !*enableScripts {
			return "", nil
		}
		return "yarn 2+ lockfiles do not record install scripts (set enableScripts: false in .yarnrc.yml if none must run)", nil
	}
}

// rootWorkspace is the entry of the project itself.
func (l *berryLock) rootWorkspace() (berryEntry, bool) {
	for _, key := range slices.Sorted(maps.Keys(l.entries)) {
		if e := l.entries[key]; strings.HasSuffix(e.Resolution, "@workspace:.") {
			return e, true
		}
	}
	return berryEntry{}, false
}

// berryDiff compares package.json's dependencies with the root entry's.
// Berry writes a plain range as npm:<range>; other protocols (workspace:,
// patch:, git URLs) it may rewrite, so only their presence is compared.
func berryDiff(m *manifest, locked map[string]string) string {
	want := map[string]string{}
	for _, deps := range []map[string]string{m.Optional, m.DevDependencies, m.Dependencies} {
		maps.Copy(want, deps)
	}
	var out []string
	for _, dep := range slices.Sorted(maps.Keys(want)) {
		have, ok := locked[dep]
		r := want[dep]
		switch {
		case !ok:
			out = append(out, dep+" is missing from the lockfile")
		case !strings.ContainsAny(r, ":/") && strings.TrimPrefix(have, "npm:") != r:
			out = append(out, fmt.Sprintf("%s is %s in package.json but %s in the lockfile", dep, r, have))
		}
	}
	for _, dep := range slices.Sorted(maps.Keys(locked)) {
		if _, ok := want[dep]; !ok {
			out = append(out, dep+" is in the lockfile but not in package.json")
		}
	}
	return strings.Join(out, "; ")
}
