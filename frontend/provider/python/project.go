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
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, _ := de.Position()
			return nil, fmt.Errorf("%s:%d: %v (fix the TOML)", name, line, de)
		}
		return nil, fmt.Errorf("%s: %v (fix the TOML)", name, err)
	}
	return &p, nil
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
