// Package lint checks a description, its build plan and the build context
// for problems that do not stop a build but make it worse: `docker buildx
// build --call=check`, warnings during a build, and `strata plan`. Its own
// rules know no ecosystem: they read the spec and walk the plan. A
// provider's rules run while it plans and land in plan.Findings; a
// planning error that is also a rule (spec.Error.Rule) becomes a finding.
package lint

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/linter"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/frontend/spec"
)

// Input is what a check looks at.
type Input struct {
	Spec *spec.Spec
	// Plan is nil when planning failed; PlanErr says why.
	Plan    *plan.Plan
	PlanErr error
	// Context is the build context as planning saw it: in the frontend,
	// only what detection transferred (see ContextFilter).
	Context source.FS
	// IgnoreFile is set when a .dockerignore (or <description>.dockerignore)
	// gives patterns.
	IgnoreFile bool
	// Config is the check directive: skipped rules and error=true.
	Config *linter.Config
	// Enforced rules (the organisation's) cannot be skipped, and their
	// findings fail the build.
	Enforced []string
}

type check struct {
	Rule
	run func(ctx context.Context, in *Input) ([]plan.Finding, error)
}

// checks are the rules that hold for every ecosystem.
var checks = []check{
	{SecretInArgOrEnv, secretsInArgOrEnv},
	{BaseImageUnpinned, unpinnedImages},
	{DockerignoreMissing, dockerignoreMissing},
	{UnusedArg, unusedArgs},
}

// Rules are the rules of this package; providers add theirs (Ruled).
func Rules() []Rule {
	out := make([]Rule, len(checks))
	for i, c := range checks {
		out[i] = c.Rule
	}
	return out
}

// Check returns the findings for in that the config does not skip, those
// in the description first, each file in line order.
func Check(ctx context.Context, in Input) ([]plan.Finding, error) {
	var out []plan.Finding
	if in.Plan != nil {
		out = append(out, in.Plan.Findings...)
	}
	var se *spec.Error
	if errors.As(in.PlanErr, &se) && se.Rule != "" {
		out = append(out, fromError(in.Spec, se))
	}
	for _, c := range checks {
		if in.skipped(c.Name) {
			continue
		}
		found, err := c.run(ctx, &in)
		if err != nil {
			return nil, fmt.Errorf("lint rule %s: %w", c.Name, err)
		}
		out = append(out, found...)
	}
	out = slices.DeleteFunc(out, func(f plan.Finding) bool { return in.skipped(f.Rule) })
	slices.SortStableFunc(out, func(a, b plan.Finding) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Rule, b.Rule))
	})
	return out, nil
}

// fromError is the finding a ruled planning error stands for.
func fromError(s *spec.Spec, e *spec.Error) plan.Finding {
	f := plan.Finding{Rule: e.Rule, Message: withHint(e.Msg, e.Hint), Pos: e.Pos}
	if s == nil || e.File != s.File {
		f.File = e.File
	}
	return f
}

func withHint(msg, hint string) string {
	if hint == "" {
		return msg
	}
	return msg + " (" + hint + ")"
}

func (in *Input) skipped(rule string) bool {
	return skipped(in.Config, rule) && !slices.Contains(in.Enforced, rule)
}

// FindingsError fails a build whose check directive says error=true, or
// whose findings include a rule the organisation enforces.
type FindingsError struct {
	File     string // the description
	Findings []plan.Finding
	// Enforced: the organisation's defaults made these findings errors.
	Enforced bool
}

// Fail is the error for findings when the config says error=true, else
// the error for the findings of enforced rules, else nil.
func Fail(cfg *linter.Config, enforced []string, file string, findings []plan.Finding) error {
	if len(findings) == 0 {
		return nil
	}
	if cfg != nil && cfg.ReturnAsError {
		return &FindingsError{File: file, Findings: findings}
	}
	var hard []plan.Finding
	for _, f := range findings {
		if slices.Contains(enforced, f.Rule) {
			hard = append(hard, f)
		}
	}
	if len(hard) == 0 {
		return nil
	}
	return &FindingsError{File: file, Findings: hard, Enforced: true}
}

func (e *FindingsError) Error() string {
	var rules []string
	for _, f := range e.Findings {
		if !slices.Contains(rules, f.Rule) {
			rules = append(rules, f.Rule)
		}
	}
	var b strings.Builder
	why := "the check directive says error=true"
	if e.Enforced {
		why = "your organisation's defaults make these rules errors"
	}
	fmt.Fprintf(&b, "lint violation found for rules: %s (%s)", strings.Join(rules, ", "), why)
	for _, f := range e.Findings {
		b.WriteString("\n  ")
		b.WriteString(place(e.File, f))
		b.WriteString(f.Rule + ": " + f.Message)
	}
	return b.String()
}

// place is "Dockerfile:7: " or "go.mod:3: " for a finding, "" without a line.
func place(description string, f plan.Finding) string {
	file := cmp.Or(f.File, description)
	if f.Pos.IsZero() {
		if f.File != "" {
			return f.File + ": "
		}
		return ""
	}
	return fmt.Sprintf("%s:%d: ", file, f.Pos.Line)
}
