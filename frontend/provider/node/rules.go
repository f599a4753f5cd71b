package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/strata-build/strata/frontend/lint"
	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/spec"
)

// The Node provider's lint rules. The lockfile rules are also errors (such
// a build cannot be reproducible or fails in the install); the others are
// findings recorded while planning. Docs pages: docs/rules/<name>.md.
var (
	ruleLockfileMissing = lint.Rule{
		Name:        "NodeLockfileMissing",
		Description: "A Node app should commit the lockfile of its package manager",
	}
	ruleLockfilesConflict = lint.Rule{
		Name:        "NodeLockfilesConflict",
		Description: "A Node app should have the lockfile of one package manager only, matching package.json's packageManager",
	}
	ruleLockfileOutOfSync = lint.Rule{
		Name:        "NodeLockfileOutOfSync",
		Description: "The lockfile should list the dependencies package.json declares",
	}
	ruleEnginesNotSatisfied = lint.Rule{
		Name:        "NodeEnginesNotSatisfied",
		Description: "The Node version should satisfy package.json's engines.node",
	}
	ruleNpmrcToken = lint.Rule{
		Name:        "NpmrcTokenInContext",
		Description: "An .npmrc in the build context should not hold a token",
	}
)

// Rules are the Node provider's lint rules (lint.Ruled).
func (Provider) Rules() []lint.Rule {
	return []lint.Rule{ruleLockfileMissing, ruleLockfilesConflict, ruleLockfileOutOfSync, ruleEnginesNotSatisfied, ruleNpmrcToken}
}

// fileError is a problem in a file of the context that is also a rule.
func fileError(rule lint.Rule, file, msg, hint string) *spec.Error {
	return &spec.Error{File: file, Rule: rule.Name, Msg: msg, Hint: hint}
}

// checkEngines: a version written in the description or a version file
// that engines.node does not allow builds with a Node the app says it does
// not support.
func (r *resolver) checkEngines(from string, pos spec.Pos, file string) {
	rng := r.pkg.Engines["node"]
	if rng == "" || versionAllowed(rng, r.version) {
		return
	}
	r.Find(ruleEnginesNotSatisfied.Name, plan.Finding{Pos: pos, File: file,
		Message: fmt.Sprintf("Node %s (%s) is not allowed by package.json engines.node %q (pick a version it allows, or widen the range)", r.version, from, rng)})
}

// versionAllowed checks a written version against a range: exactly when it
// is a full version, else by its release line.
func versionAllowed(rng string, v version) bool {
	if len(v.parts) == 3 {
		for _, alt := range strings.Split(rng, "||") {
			cmps, ok := comparators(strings.TrimSpace(alt))
			all := ok
			for _, c := range cmps {
				all = all && c.allows([3]int{v.parts[0], v.parts[1], v.parts[2]})
			}
			if all {
				return true
			}
		}
		return false
	}
	return rangeAllowsMajor(rng, v.parts[0])
}

// npmrcToken matches an auth setting with a literal value; ${NPM_TOKEN}
// (filled from the environment) is the safe form.
var npmrcToken = regexp.MustCompile(`(?m)^\s*[^#;\s]*(_authToken|_auth|_password)\s*=\s*([^$\s].*)$`)

// checkNpmrc: the context is sent to the builder, so a token in .npmrc
// reaches it even though Strata never copies the file into a layer.
func (r *resolver) checkNpmrc(ctx context.Context) error {
	dt, err := r.in.Context.ReadFile(ctx, ".npmrc", 1<<20)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	loc := npmrcToken.FindIndex(dt)
	if loc == nil {
		return nil
	}
	line := 1 + strings.Count(string(dt[:loc[0]]), "\n")
	r.Find(ruleNpmrcToken.Name, plan.Finding{File: ".npmrc", Pos: spec.Pos{Line: line, Column: 1},
		Message: ".npmrc holds a token, which is sent with the build context (write `_authToken=${NPM_TOKEN}` and pass --secret id=NPM_TOKEN, or mount the whole file with --secret id=npmrc and add .npmrc to .dockerignore)"})
	return nil
}
