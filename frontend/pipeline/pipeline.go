// Package pipeline runs the front half of Strata: description → typed spec →
// provider → build plan. The gateway and the CLI share it.
package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/strata-build/strata/frontend/defaults"
	"github.com/strata-build/strata/frontend/detect"
	"github.com/strata-build/strata/frontend/lint"
	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/provider"
	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/frontend/spec"
)

// Parse reads a description, allowing a section per known provider. Each
// provider's section is decoded here as well, so one run reports the
// section's problems with the rest of the file.
func Parse(file string, data []byte) (*spec.Spec, error) {
	s, err := spec.Parse(file, data, detect.Names())
	if s == nil {
		return nil, err
	}
	errs := []error{err}
	for _, p := range detect.Providers {
		errs = append(errs, s.Sections[p.Name()].Decode(p.Section()))
	}
	if err := spec.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// Plan picks the provider and plans the app, once for every platform. The
// plan is checked: a malformed one is a bug report, never a panic later.
func Plan(ctx context.Context, s *spec.Spec, fsys source.FS) (*plan.Plan, error) {
	return PlanWith(ctx, s, fsys, nil)
}

// PlanWith plans as Plan does, then lays an organisation's defaults (nil
// for none) over the plan.
func PlanWith(ctx context.Context, s *spec.Spec, fsys source.FS, org *defaults.Defaults) (*plan.Plan, error) {
	// Whatever a description or a context file names, nothing outside the
	// build context is read.
	fsys = source.Confine(fsys)
	p, reason, err := detect.Select(ctx, s, fsys)
	if err != nil {
		return nil, err
	}
	pl, err := p.Plan(ctx, provider.Input{Spec: s, Context: fsys, Reason: reason})
	if err != nil {
		return nil, err
	}
	if err := org.Apply(s, pl); err != nil {
		return nil, err
	}
	return pl, pl.Validate()
}

// PlanDir plans the app in a directory from its description file (relative
// to dir unless absolute; none at all means everything is detected), as the
// CLI and the example tests do.
func PlanDir(ctx context.Context, dir, file string) (*plan.Plan, error) {
	return PlanDirWith(ctx, dir, file, nil)
}

// PlanDirWith is PlanDir with an organisation's defaults (nil for none).
func PlanDirWith(ctx context.Context, dir, file string, org *defaults.Defaults) (*plan.Plan, error) {
	path := file
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	s, err := Parse(file, data)
	if err != nil {
		return nil, err
	}
	return PlanWith(ctx, s, source.Dir(dir), org)
}

// Rules lists every lint rule: the generic ones, then each provider's.
func Rules() []lint.Rule {
	rules := lint.Rules()
	for _, p := range detect.Providers {
		if r, ok := p.(lint.Ruled); ok {
			rules = append(rules, r.Rules()...)
		}
	}
	return rules
}
