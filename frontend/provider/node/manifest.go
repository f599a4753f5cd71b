package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/strata-build/strata/frontend/source"
)

// maxManifest caps what is read of package.json and lockfiles, so a hostile
// context cannot make detection read without bound.
const maxManifest = 16 << 20

// manifest is what Strata reads of package.json.
type manifest struct {
	Name            string            `json:"name"`
	Main            string            `json:"main"`
	Scripts         map[string]string `json:"scripts"`
	Engines         map[string]string `json:"engines"`
	PackageManager  string            `json:"packageManager"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
	Optional        map[string]string `json:"optionalDependencies"`
	Pnpm            struct {
		OnlyBuiltDependencies []string `json:"onlyBuiltDependencies"`
	} `json:"pnpm"`

	// devOnly, read from package-lock.json, is what `npm prune
	// --omit=dev` removes after `npm ci`: the folders (under the app) of
	// the packages only dev dependencies need, and their bin links; nil
	// when the lockfile names a path Strata will not pass to rm.
	devOnly []string
}

// readManifest reads and parses package.json in dir.
func readManifest(ctx context.Context, fsys source.FS, dir string) (*manifest, error) {
	name := join(dir, "package.json")
	dt, err := source.ReadAll(ctx, fsys, name, maxManifest)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no package.json (a Node app needs one at the root of the build context or of node.workspace)", name)
	}
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(dt, &m); err != nil {
		return nil, fmt.Errorf("%s: %v (fix the JSON)", name, jsonError(dt, err))
	}
	return &m, nil
}

// hasDependency reports whether a runtime or dev dependency is named.
func (m *manifest) hasDependency(name string) bool {
	_, a := m.Dependencies[name]
	_, b := m.DevDependencies[name]
	return a || b
}

// lockfile is an npm package-lock.json (v2 or v3): the root package's
// declared dependencies and whether any package needs the target platform.
type npmLock struct {
	LockfileVersion int                   `json:"lockfileVersion"`
	Packages        map[string]npmPackage `json:"packages"`
}

// npmPackage is one folder of package-lock.json's packages: what Strata
// reads of it.
type npmPackage struct {
	Dependencies     map[string]string `json:"dependencies"`
	DevDependencies  map[string]string `json:"devDependencies"`
	Optional         map[string]string `json:"optionalDependencies"`
	HasInstallScript bool              `json:"hasInstallScript"`
	OS               []string          `json:"os"`
	CPU              []string          `json:"cpu"`
	Dev              bool              `json:"dev"` // only dev dependencies need it
	Bin              map[string]string `json:"bin"`
}

// readNpmLock reads an npm lockfile and checks it against package.json:
// npm ci refuses a lockfile out of sync, and the build must say so with
// both files named rather than fail deep inside npm.
func readNpmLock(ctx context.Context, fsys source.FS, name string, m *manifest) (string, error) {
	dt, err := source.ReadAll(ctx, fsys, name, maxManifest)
	if err != nil {
		return "", err
	}
	var l npmLock
	if err := json.Unmarshal(dt, &l); err != nil {
		return "", fmt.Errorf("%s: %v (regenerate it with npm install)", name, jsonError(dt, err))
	}
	if l.LockfileVersion < 2 {
		return "", fmt.Errorf("%s: lockfileVersion %d is too old for npm ci here (run npm install with npm 7 or newer and commit the new lockfile)", name, l.LockfileVersion)
	}
	root := l.Packages[""]
	for _, d := range []struct {
		kind       string
		want, have map[string]string
	}{
		{"dependencies", m.Dependencies, root.Dependencies},
		{"devDependencies", m.DevDependencies, root.DevDependencies},
		{"optionalDependencies", m.Optional, root.Optional},
	} {
		if diff := mapDiff(d.want, d.have); diff != "" {
			return "", fileError(ruleLockfileOutOfSync, name, fmt.Sprintf("package.json and %s are out of sync: %s %s", name, d.kind, diff), "run npm install and commit "+name)
		}
	}
	m.devOnly = l.devOnly()
	if pkg, ok := l.needsTargetPlatform(); ok {
		return pkg + " has an install script or is platform-specific", nil
	}
	return "", nil
}

// binFolder is the node_modules folder whose .bin holds the links of the
// package in the lockfile folder p ("" for the root or a workspace member,
// whose bins npm does not link there).
func binFolder(p string) string {
	i := strings.LastIndex(p, "node_modules/")
	if i < 0 {
		return ""
	}
	return p[:i+len("node_modules")]
}

// A package's folder in the lockfile: node_modules/<name>, nested under
// other packages' node_modules; names as npm allows them.
var (
	lockPath = regexp.MustCompile(`^node_modules/(@[A-Za-z0-9~-][A-Za-z0-9._~-]*/)?[A-Za-z0-9~-][A-Za-z0-9._~-]*(/node_modules/(@[A-Za-z0-9~-][A-Za-z0-9._~-]*/)?[A-Za-z0-9~-][A-Za-z0-9._~-]*)*$`)
	binName  = regexp.MustCompile(`^[A-Za-z0-9~-][A-Za-z0-9._~-]*$`)
)

// devOnly lists the folders of the packages flagged dev (only dev
// dependencies need them; devOptional ones stay, as npm keeps them) and
// their links in the .bin folder beside them, relative to the app, as
// `npm prune --omit=dev` removes them; a folder inside a removed one is
// not listed again. It is nil when a path is not one a package can have.
func (l *npmLock) devOnly() []string {
	var dirs []string
	kept := map[string]bool{} // the bin links of packages that stay: <folder>/.bin/<name>
	for _, p := range slices.Sorted(maps.Keys(l.Packages)) {
		pkg := l.Packages[p]
		if !pkg.Dev {
			if dir := binFolder(p); dir != "" {
				for b := range pkg.Bin {
					kept[dir+"/.bin/"+b] = true
				}
			}
			continue
		}
		if !lockPath.MatchString(p) {
			return nil
		}
		dirs = append(dirs, p)
	}
	out := []string{}
	for i, p := range dirs {
		if slices.ContainsFunc(dirs[:i], func(q string) bool { return strings.HasPrefix(p, q+"/") }) {
			continue
		}
		out = append(out, p)
		for _, b := range slices.Sorted(maps.Keys(l.Packages[p].Bin)) {
			if !binName.MatchString(b) {
				return nil
			}
			if link := binFolder(p) + "/.bin/" + b; !kept[link] {
				out = append(out, link)
			}
		}
	}
	return out
}

// needsTargetPlatform reports packages whose install depends on the
// platform: install scripts (native addons) or os/cpu-specific optionals.
func (l *npmLock) needsTargetPlatform() (string, bool) {
	for _, p := range slices.Sorted(maps.Keys(l.Packages)) {
		pkg := l.Packages[p]
		if pkg.HasInstallScript || len(pkg.OS) > 0 || len(pkg.CPU) > 0 {
			return strings.TrimPrefix(p, "node_modules/"), true
		}
	}
	return "", false
}

func mapDiff(want, have map[string]string) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if v, ok := have[k]; !ok {
			out = append(out, fmt.Sprintf("%s is missing from the lockfile", k))
		} else if v != want[k] {
			out = append(out, fmt.Sprintf("%s is %s in package.json but %s in the lockfile", k, want[k], v))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(have)) {
		if _, ok := want[k]; !ok {
			out = append(out, fmt.Sprintf("%s is in the lockfile but not in package.json", k))
		}
	}
	return strings.Join(out, "; ")
}

// jsonError adds the line of a JSON syntax error.
func jsonError(dt []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + strings.Count(string(dt[:min(int(se.Offset), len(dt))]), "\n")
		return fmt.Errorf("line %d: %v", line, err)
	}
	// A value of the wrong type: the key and the JSON type it needs, not
	// the Go type it was decoded into.
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		line := 1 + strings.Count(string(dt[:min(int(te.Offset), len(dt))]), "\n")
		return fmt.Errorf("line %d: %s: expected %s, got a JSON %s", line, te.Field, jsonKind(te.Type), te.Value)
	}
	return err
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Float64:
		return "a number"
	}
	return t.String()
}

func join(dir, name string) string {
	if dir == "" || dir == "." {
		return name
	}
	return dir + "/" + name
}
