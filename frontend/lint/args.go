package lint

import (
	"context"

	"github.com/strata-build/strata/frontend/plan"
)

// UnusedArg: an arg nothing reads is a leftover or a typo, and a
// --build-arg for it changes nothing.
var UnusedArg = Rule{
	Name:        "UnusedArg",
	Description: "Args declared under args: should be used",
}

// unusedArgs counts references the way renderers expand them: every
// string of every stage and step (Walk.Strs) and of every target's image.
func unusedArgs(_ context.Context, in *Input) ([]plan.Finding, error) {
	if in.Plan == nil || len(in.Spec.Args) == 0 {
		return nil, nil
	}
	used := map[string]bool{}
	for s := range in.Plan.WalkAll().Strs() {
		for _, r := range s.Refs() {
			used[r] = true
		}
	}
	for _, t := range in.Plan.Targets {
		for s := range t.Image.Strs() {
			for _, r := range s.Refs() {
				used[r] = true
			}
		}
	}
	var out []plan.Finding
	for _, a := range in.Spec.Args {
		if used[a.Name] {
			continue
		}
		hint := "use it as ${" + a.Name + "} or remove it"
		if why, ok := in.Plan.Unread[a.Name]; ok {
			hint = why // another tool's setting, which no step here reads
		}
		out = append(out, plan.Finding{Rule: UnusedArg.Name, Pos: a.Pos,
			Message: "arg " + a.Name + " is declared but nothing in the build uses it (" + hint + ")"})
	}
	return out, nil
}
