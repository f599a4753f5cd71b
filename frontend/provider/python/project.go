package python

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/strata-build/strata/frontend/source"
)

// maxFile caps what is read of a project file, so a hostile context cannot
// make detection read without bound.
const maxFile = 4 << 20

// maxLock caps lockfiles, which grow with the dependency graph.
const maxLock = 32 << 20

// project is what Strata reads of pyproject.toml.
type project struct {
	Project struct {
		Name           string            `toml:"name"`
		RequiresPython string            `toml:"requires-python"`
		Dependencies   []string          `toml:"dependencies"`
		Scripts        map[string]string `toml:"scripts"`
	} `toml:"project"`
	// DependencyGroups (PEP 735) hold the dev and test tools.
	DependencyGroups map[string][]any `toml:"dependency-groups"`
	Tool             struct {
		PDM pdmSettings `toml:"pdm"`
		UV  struct {
			// Workspace is nil unless the project is a uv workspace root.
			Workspace *struct {
				Members []string `toml:"members"`
				Exclude []string `toml:"exclude"`
			} `toml:"workspace"`
		} `toml:"uv"`
		Poetry struct {
			Dependencies map[string]any `toml:"dependencies"`
			Group        map[string]struct {
				Dependencies map[string]any `toml:"dependencies"`
			} `toml:"group"`
		} `toml:"poetry"`
	} `toml:"tool"`
}

// pdmSettings is what Strata reads of [tool.pdm].
type pdmSettings struct {
	Distribution *bool  `toml:"distribution"`
	PackageType  string `toml:"package-type"`
	// DevDependencies is pdm's own (pre PEP 735) form of dev groups.
	DevDependencies map[string][]string `toml:"dev-dependencies"`
}

// readProject parses pyproject.toml; nil when there is none.
func readProject(ctx context.Context, fsys source.FS) (*project, error) {
	return readProjectFile(ctx, fsys, "pyproject.toml")
}

// readProjectFile parses a pyproject.toml (a workspace member's, say).
func readProjectFile(ctx context.Context, fsys source.FS, name string) (*project, error) {
	dt, err := source.ReadAll(ctx, fsys, name, maxFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var p project
	if err := toml.Unmarshal(dt, &p); err != nil {
		return nil, tomlError(name, err, "fix the TOML")
	}
	return &p, nil
}

// checkLockTOML reads a lockfile only to refuse one that is not TOML (a
// merge conflict left in it, say), which would fail only deep in the
// installer; what it locks is the installer's business.
func checkLockTOML(ctx context.Context, fsys source.FS, name, hint string) ([]byte, error) {
	dt, err := source.ReadAll(ctx, fsys, name, maxLock)
	if err != nil {
		return nil, err
	}
	var parsed map[string]any
	if err := toml.Unmarshal(dt, &parsed); err != nil {
		return nil, tomlError(name, err, hint)
	}
	return dt, nil
}

// tomlError names the file and, when the parser knows it, the line.
func tomlError(name string, err error, hint string) error {
	var de *toml.DecodeError
	if !errors.As(err, &de) {
		return fmt.Errorf("%s: %v (%s)", name, err, hint)
	}
	line, _ := de.Position()
	msg := de.Error()
	// A value of the wrong type: name the key and the type wanted, not
	// the Go struct it was decoded into.
	if m := tomlTypeError.FindStringSubmatch(msg); m != nil && len(de.Key()) > 0 {
		msg = fmt.Sprintf("%s: expected %s, got a TOML %s", strings.Join(de.Key(), "."), tomlKinds[m[2]], m[1])
		if tomlKinds[m[2]] == "" {
			msg = fmt.Sprintf("%s: a TOML %s is not the type this key takes", strings.Join(de.Key(), "."), m[1])
		}
	}
	return fmt.Errorf("%s:%d: %s (%s)", name, line, msg, hint)
}

var tomlTypeError = regexp.MustCompile(`cannot decode TOML (\w+) into .* of type (\S+)$`)

var tomlKinds = map[string]string{
	"string": "a string", "[]string": "a list of strings", "map[string]string": "a table of strings",
	"bool": "true or false", "int": "a number", "[]any": "a list", "map[string]any": "a table",
}

// requirementName is the distribution a requirement line names.
var requirementName = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)`)

// readRequirements lists the distributions a requirements file names
// (normalized: lower case, "-" for "_" and "."), for start-command
// detection. Options and includes are left to pip.
func readRequirements(ctx context.Context, fsys source.FS, name string) ([]string, error) {
	dt, err := source.ReadAll(ctx, fsys, name, maxFile)
	if err != nil {
		return nil, err
	}
	var out []string
	for line := range strings.Lines(string(dt)) {
		line = strings.TrimSpace(line)
		if m := requirementName.FindStringSubmatch(line); m != nil {
			out = append(out, normalize(m[1]))
		}
	}
	return out, nil
}

// normalize is PEP 503's name normalization.
func normalize(name string) string {
	return strings.NewReplacer("_", "-", ".", "-").Replace(strings.ToLower(name))
}
