package node

import (
	"strings"

	"github.com/strata-build/strata/frontend/plan"
)

// bunDefaultVersion is the bun release installed when package.json's
// packageManager pins none.
const bunDefaultVersion = "1.4.5"

// Paths of bun in the builder: its install cache, and the binary the npm
// package `bun` puts in place of its stub (from the optional dependency of
// the platform, @oven/bun-linux-x64 …).
const (
	bunCache  = "/root/.bun/install/cache"
	bunBinary = "/usr/local/lib/node_modules/bun/bin/bun.exe"
)

// bunManager installs with bun. Its cache takes each package through a
// temporary folder renamed into place without replacing one that exists
// (or exchanged with it): concurrent installs may share it.
var bunManager = &manager{
	name:           "bun",
	config:         []string{"bunfig.toml"},
	defaultVersion: bunDefaultVersion,
	noCorepack:     true,
	cache:          plan.Mount{Type: plan.CacheMount, Target: bunCache, CacheID: "strata/node/bun"},
	env: []plan.Env{
		{Name: "BUN_INSTALL_CACHE_DIR", Value: plan.Lit(bunCache)},
		// bun's own registry setting; it reads no npm_config_registry.
		{Name: "BUN_CONFIG_REGISTRY", Value: plan.Tmpl("${NPM_CONFIG_REGISTRY}"), IfSet: true},
	},
	install: func(prod bool) []string {
		// The cache is another filesystem (a cache mount): copy from it
		// rather than hardlink.
		args := []string{"bun", "install", "--frozen-lockfile", "--backend=copyfile"}
		if prod {
			// bun has no prune: production dependencies come from a second
			// install from the warm cache.
			return append(args, "--production")
		}
		return args
	},
	run:      func(script string) []string { return []string{"bun", "run", script} },
	readLock: readBunLock,
}

// bunStart is the start command of a start script that runs bun: the
// script's words when it is a plain `bun <file>`, else bun runs it. The
// runtime then gets the bun binary.
func (r *resolver) bunStart(script string) ([]string, bool) {
	words := strings.Fields(script)
	if r.manager != "bun" || len(words) == 0 || words[0] != "bun" {
		return nil, false
	}
	r.bunRuntime = true
	if len(words) >= 2 && !strings.ContainsAny(script, "&|;<>()$`\\\"'*?") {
		return words, true
	}
	return []string{"bun", "run", "start"}, true
}

// bunRuntimeStep copies the bun binary of the install stage (on the target
// platform, as installs of bun apps are) into the runtime.
func bunRuntimeStep() plan.Step {
	return plan.Step{Name: "copy bun", Copy: &plan.Copy{
		From: plan.Source{Stage: "deps"}, Src: plan.Lit(bunBinary), Dest: plan.Lit("/usr/local/bin/bun"), Link: true,
	}}
}
