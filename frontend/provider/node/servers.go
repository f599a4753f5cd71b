package node

import (
	"strconv"

	"github.com/strata-build/strata/frontend/plan"
)

// serverFrameworks are the HTTP frameworks whose apps conventionally
// listen on $PORT, 3000 when unset (Nest's generated main.ts, Express's
// and Fastify's guides): the image says so, and exposes the port.
var serverFrameworks = []string{"express", "fastify", "@nestjs/core"}

// serverDefaults are the environment defaults of a server app: PORT (from
// run.port, else 3000) for the frameworks above; Fastify listens on
// localhost unless told otherwise, so HOST=0.0.0.0 for apps that read it.
func (r *resolver) serverDefaults(img *plan.Image) []plan.Env {
	fw := ""
	for _, f := range serverFrameworks {
		if _, ok := r.pkg.Dependencies[f]; ok {
			fw = f
			break
		}
	}
	if fw == "" {
		return nil
	}
	port := "3000"
	if r.Spec.Run.Port.Set {
		port = strconv.Itoa(r.Spec.Run.Port.V)
	} else {
		img.Ports = []string{"3000/tcp"}
	}
	env := []plan.Env{{Name: "PORT", Value: plan.Lit(port)}}
	if fw == "fastify" {
		env = append(env, plan.Env{Name: "HOST", Value: plan.Lit("0.0.0.0")})
	}
	return env
}

// nestStart: Nest's start script runs the Nest CLI (a dev dependency);
// the built app starts with its start:prod script when that is plain
// node, else with node on dist/main, as `nest build` writes it.
func (r *resolver) nestStart() {
	if argv, ok := plainNode(r.pkg.Scripts["start:prod"]); ok {
		r.start.Cmd = plan.Lits(argv...)
		r.Set("start", r.pkg.Scripts["start:prod"], "package.json scripts.start:prod (NestJS: scripts.start runs the Nest CLI)")
		return
	}
	r.start.Cmd = plan.Lits("node", "dist/main")
	r.Set("start", "node dist/main", "NestJS: nest build writes dist/main.js (scripts.start runs the Nest CLI)")
}

func isPlainNode(script string) bool {
	_, ok := plainNode(script)
	return ok
}
