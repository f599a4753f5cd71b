// Package record writes what a build was planned from — the provider, its
// resolved settings with their sources, the build args as used — for the
// provenance attestation. The frontend hands it to BuildKit as a source
// of the build's LLB, which `--provenance mode=max` records beside the
// description (BuildKit offers a frontend no other place in provenance).
package record

import (
	"encoding/json"
	"slices"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/redact"
)

// Filename and Language name the record among the build's sources.
const (
	Filename = "strata.plan.json"
	Language = "JSON"
)

// Record is the JSON document.
type Record struct {
	Provider string         `json:"provider"`
	Target   string         `json:"target,omitempty"`
	Settings []plan.Setting `json:"settings"`
	Args     []Arg          `json:"args,omitempty"`
}

// Arg is a build arg the build used, its value masked when it looks
// secret.
type Arg struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	From     string `json:"from"` // "build-arg" or "default"
	Redacted bool   `json:"redacted,omitempty"`
}

// extraArgs are read by the frontend itself, not by the plan.
var extraArgs = []string{"SOURCE_DATE_EPOCH"}

// Of builds the record of a plan built for target with these --build-arg
// values. A pass-through arg that was not given is left out: the build
// did not use it.
func Of(p *plan.Plan, target string, buildArgs map[string]string) Record {
	r := Record{Provider: p.Provider, Target: target, Settings: p.Settings}
	add := func(name, value, from string) {
		masked := redact.Value(name, value)
		r.Args = append(r.Args, Arg{Name: name, Value: masked, From: from, Redacted: masked != value})
	}
	for _, a := range p.Args {
		if v, ok := buildArgs[a.Name]; ok {
			add(a.Name, v, "build-arg")
		} else if !a.PassThrough {
			add(a.Name, a.Default, "default")
		}
	}
	for _, name := range extraArgs {
		if v, ok := buildArgs[name]; ok && !slices.ContainsFunc(p.Args, func(a plan.Arg) bool { return a.Name == name }) {
			add(name, v, "build-arg")
		}
	}
	return r
}

// JSON is the record as recorded: indented, so provenance readers can
// show it as a file.
func (r Record) JSON() []byte {
	dt, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		panic(err) // plain strings only: cannot fail
	}
	return append(dt, '\n')
}
