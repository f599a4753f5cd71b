package builder

import (
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"

	"github.com/strata-build/strata/frontend/plan"
)

// targetList answers `--call targets`.
func targetList(p *plan.Plan) *targets.List {
	l := &targets.List{}
	for _, t := range p.Targets {
		l.Targets = append(l.Targets, targets.Target{Name: t.Name, Default: t.Default, Description: t.Description})
	}
	return l
}

// outlineOf answers `--call outline`: the args, secrets, SSH sockets and
// caches the plan uses.
func outlineOf(p *plan.Plan) *outline.Outline {
	o := &outline.Outline{Name: p.DefaultTarget().Name, Description: p.DefaultTarget().Description}
	for _, a := range p.Args {
		desc := "declared in the description"
		switch {
		case a.PassThrough && a.Source != "":
			desc = "passed to the steps that fetch dependencies; default from " + a.Source
		case a.PassThrough:
			desc = "passed to the steps that fetch dependencies when set"
		}
		o.Args = append(o.Args, outline.Arg{Name: a.Name, Value: a.Default, Description: desc})
	}
	seen := map[string]bool{}
	for _, m := range p.WalkAll().Mounts() {
		key := string(m.Type) + "/" + m.ID + m.CacheID
		if seen[key] {
			continue
		}
		seen[key] = true
		switch m.Type {
		case plan.SecretMount:
			o.Secrets = append(o.Secrets, outline.Secret{Name: m.ID, Required: m.Required})
		case plan.SSHMount:
			o.SSH = append(o.SSH, outline.SSH{Name: m.ID, Required: m.Required})
		case plan.CacheMount:
			o.Cache = append(o.Cache, outline.CacheMount{ID: m.CacheID})
		}
	}
	return o
}
