package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/strata-build/strata/frontend/lint"
	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/frontend/spec"
)

// findings are every lint finding for the plan of dir, as `--call=check`
// reports them: the provider's and the generic rules', minus what the
// description's check directive skips.
func findings(ctx context.Context, s *spec.Spec, data []byte, p *plan.Plan, dir, descPath string, enforced []string) ([]plan.Finding, error) {
	cfg, err := lint.ReadConfig(s.File, data, nil)
	if err != nil {
		return nil, err
	}
	ignore := hasPatterns(filepath.Join(dir, ".dockerignore")) || hasPatterns(descPath+".dockerignore")
	return lint.Check(ctx, lint.Input{Spec: s, Plan: p, Context: source.Dir(dir), IgnoreFile: ignore, Config: cfg, Enforced: enforced})
}

// hasPatterns reports whether an ignore file exists with a pattern in it,
// as BuildKit reads one (blank lines and # comments do not count).
func hasPatterns(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
			return true
		}
	}
	return false
}
