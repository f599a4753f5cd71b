package lint

import (
	"slices"

	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/strata-build/strata/frontend/spec"
)

// ReadConfig reads the `# check=skip=RuleA,RuleB;error=true` directive of
// a description. BuildKit's directive parser looks for it where it finds
// `# syntax=`: among the comment lines that open the file, which YAML
// ignores. override is BUILDKIT_DOCKERFILE_CHECK as dockerui parsed it; when
// set it replaces the file's directive, as for Dockerfiles.
func ReadConfig(file string, data []byte, override *linter.Config) (*linter.Config, error) {
	if override != nil {
		return override, nil
	}
	value, _, loc, ok := parser.ParseDirective("check", data)
	if !ok {
		return &linter.Config{}, nil
	}
	cfg, err := linter.ParseLintOptions(value)
	if err != nil {
		e := &spec.Error{File: file, Key: "check", Msg: err.Error(),
			Hint: "write `# check=skip=RuleA,RuleB;error=true` (both parts optional)"}
		if len(loc) > 0 {
			e.Pos = spec.Pos{Line: loc[0].Start.Line, Column: 1}
		}
		return nil, e
	}
	return cfg, nil
}

// skipped reports whether the config turns rule off.
func skipped(cfg *linter.Config, rule string) bool {
	return cfg != nil && (cfg.SkipAll || slices.Contains(cfg.SkipRules, rule))
}
