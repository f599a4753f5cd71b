package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/strata-build/strata/frontend/source"
)

// yarnrc is what Strata reads of .yarnrc.yml, yarn 2+'s settings file.
type yarnrc struct {
	exists bool
	// nodeLinker is "pnp" (berry's default when unset), "node-modules" or
	// "pnpm".
	nodeLinker rcValue
	// yarnPath is a committed yarn release the project runs.
	yarnPath rcValue
	// esmLoader and enableScripts are nil when the file does not set them.
	esmLoader     *bool
	enableScripts *bool
	// plugins are the paths of the plugins it loads.
	plugins []string
}

// rcValue is a string setting and its line (0 when unset).
type rcValue struct {
	V    string
	Line int
}

const yarnrcFile = ".yarnrc.yml"

// readYarnrc reads .yarnrc.yml at the root of the context; a missing file
// is an empty one.
func readYarnrc(ctx context.Context, fsys source.FS) (*yarnrc, error) {
	dt, err := source.ReadAll(ctx, fsys, yarnrcFile, maxManifest)
	if errors.Is(err, fs.ErrNotExist) {
		return &yarnrc{}, nil
	}
	if err != nil {
		return nil, err
	}
	rc := &yarnrc{exists: true}
	var doc yaml.Node
	if err := yaml.Unmarshal(dt, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v (fix the YAML)", yarnrcFile, err)
	}
	if len(doc.Content) == 0 {
		return rc, nil // empty, or comments only
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: the file must be a mapping of settings (nodeLinker: node-modules …)", yarnrcFile, top.Line)
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		key, val := top.Content[i], top.Content[i+1]
		switch key.Value {
		case "nodeLinker":
			rc.nodeLinker = rcValue{val.Value, val.Line}
		case "yarnPath":
			rc.yarnPath = rcValue{val.Value, val.Line}
		case "pnpEnableEsmLoader":
			if rc.esmLoader, err = rcBool(key, val); err != nil {
				return nil, err
			}
		case "enableScripts":
			if rc.enableScripts, err = rcBool(key, val); err != nil {
				return nil, err
			}
		case "plugins":
			for _, p := range val.Content {
				if p.Kind == yaml.ScalarNode {
					rc.plugins = append(rc.plugins, p.Value)
					continue
				}
				var entry struct {
					Path string `yaml:"path"`
				}
				if err := p.Decode(&entry); err == nil && entry.Path != "" {
					rc.plugins = append(rc.plugins, entry.Path)
				}
			}
		}
	}
	switch rc.nodeLinker.V {
	case "", "pnp", "node-modules", "pnpm":
	default:
		return nil, fmt.Errorf("%s:%d: nodeLinker: %q is none of pnp, node-modules and pnpm (yarn would refuse it too)", yarnrcFile, rc.nodeLinker.Line, rc.nodeLinker.V)
	}
	return rc, nil
}

func rcBool(key, val *yaml.Node) (*bool, error) {
	b, err := strconv.ParseBool(val.Value)
	if err != nil {
		return nil, fmt.Errorf("%s:%d: %s: %q is not true or false", yarnrcFile, val.Line, key.Value, val.Value)
	}
	return &b, nil
}

// pnp reports whether yarn links with Plug'n'Play: its default linker.
func (rc *yarnrc) pnp() bool { return rc.nodeLinker.V == "" || rc.nodeLinker.V == "pnp" }
