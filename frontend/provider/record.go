package provider

import (
	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/spec"
)

// Record collects a provider's resolved settings with where each came
// from, for `strata plan`, and the lint findings of its rules; providers'
// resolvers embed it.
type Record struct {
	Spec     *spec.Spec
	Settings []plan.Setting
	Findings []plan.Finding
}

// Find records a finding of one of the provider's rules (lint.Rule.Name).
func (r *Record) Find(rule string, f plan.Finding) {
	f.Rule = rule
	r.Findings = append(r.Findings, f)
}

// Set records a setting.
func (r *Record) Set(key, value, from string) {
	r.Settings = append(r.Settings, plan.Setting{Key: key, Value: value, Source: from})
}

// At says where a description value was written ("default" when it was not).
func (r *Record) At(pos spec.Pos) string { return From(r.Spec, pos) }

// CommandStep is the step `build.command` asks for: the user's shell
// command, named by its first line, at its description line, run with the
// environment and mounts of the step it replaces.
func CommandStep(cmd spec.Value[string], run *plan.Run) plan.Step {
	run.Args, run.Script = nil, plan.Tmpl(cmd.V)
	return plan.Step{Name: CommandName(cmd.V), Run: run, Pos: cmd.Pos}
}
