package python

import (
	"context"
	"fmt"
	"strings"

	"github.com/strata-build/strata/frontend/lint"
	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/frontend/spec"
)

// The Python provider's lint rules, recorded while planning; docs pages
// are docs/rules/<name>.md.
var (
	ruleVersionNotAllowed = lint.Rule{
		Name:        "PythonVersionNotAllowed",
		Description: "The Python version should satisfy pyproject.toml's requires-python",
	}
	ruleRequirementsNotPinned = lint.Rule{
		Name:        "RequirementsNotPinned",
		Description: "A requirements file should pin every distribution with ==",
	}
	ruleLockfileMissing = lint.Rule{
		Name:        "PythonLockfileMissing",
		Description: "A pyproject.toml project should be installed from a lockfile or pinned requirements",
	}
	rulePoetryLockStale = lint.Rule{
		Name:        "PoetryLockStale",
		Description: "poetry.lock should be written from today's pyproject.toml",
	}
	rulePipNoCacheDir = lint.Rule{
		Name:        "PipNoCacheDir",
		Description: "PIP_NO_CACHE_DIR should not be set: it turns pip's cache off whatever its value",
	}
	ruleSystemLibraryMissing = lint.Rule{
		Name:        "PythonSystemLibraryMissing",
		Description: "A dependency that needs a system library should have its Debian package declared",
	}
)

// Rules are the Python provider's lint rules (lint.Ruled).
func (Provider) Rules() []lint.Rule {
	return []lint.Rule{ruleVersionNotAllowed, ruleRequirementsNotPinned, ruleLockfileMissing,
		rulePoetryLockStale, rulePipNoCacheDir, ruleSystemLibraryMissing}
}

// checkRequiresPython: a version the description or a version file pins
// that requires-python does not allow builds with a Python the project
// says it does not support.
func (r *resolver) checkRequiresPython(from string, pos spec.Pos, file string) {
	label, sets, err := r.pythonRange()
	if err != nil || sets == nil {
		return // resolveVersion reports a malformed range
	}
	var line [2]int
	if _, err := fmt.Sscanf(r.version, "%d.%d", &line[0], &line[1]); err != nil || allowsAny(sets, line) {
		return
	}
	r.Find(ruleVersionNotAllowed.Name, plan.Finding{Pos: pos, File: file,
		Message: fmt.Sprintf("Python %s (%s) is not allowed by %s (pick a version it allows, or widen the constraint)", r.version, from, label)})
}

// checkPins finds the first requirement that is not pinned with == (or
// ===): such an install resolves anew on every build.
func (r *resolver) checkPins(ctx context.Context) error {
	dt, err := source.ReadAll(ctx, r.in.Context, r.requirements, maxFile)
	if err != nil {
		return err
	}
	n := 0
	for line := range strings.Lines(string(dt)) {
		n++
		req, _, _ := strings.Cut(strings.TrimSpace(line), "#")
		req = strings.TrimSpace(req)
		if req == "" || strings.HasPrefix(req, "-") || strings.Contains(req, "://") || strings.Contains(req, " @ ") {
			continue // options, includes and direct references are pip's
		}
		spec, _, _ := strings.Cut(req, ";")
		if !strings.Contains(spec, "==") {
			r.Find(ruleRequirementsNotPinned.Name, plan.Finding{File: r.requirements, Pos: spec0(n),
				Message: fmt.Sprintf("%s is not pinned: every build may install another version (pin it with ==, e.g. from `pip freeze`, or lock the project with uv)", strings.TrimSpace(spec))})
			return nil
		}
	}
	return nil
}

// checkPipNoCacheDir: pip reads PIP_NO_CACHE_DIR with any value, even 0
// or false, as "no cache", so the cache mount the install steps keep warm
// stays empty. It is found where a description can set it: an arg, run.env,
// a secret exposed as that variable, the build command.
func (r *resolver) checkPipNoCacheDir() {
	const name = "PIP_NO_CACHE_DIR"
	why := "pip turns its cache off whatever the value (even 0 or false); Strata keeps pip's cache on a cache mount, never in a layer, so this only makes every install download everything again (remove it)"
	find := func(pos spec.Pos, where string) {
		r.Find(rulePipNoCacheDir.Name, plan.Finding{Pos: pos, Message: where + ": " + why})
	}
	for _, a := range r.Spec.Args {
		if a.Name == name {
			find(a.Pos, "arg "+name)
		}
	}
	if env := r.Spec.Run.Env; env.Set {
		if _, ok := env.V[name]; ok {
			find(env.KeyPos(name), "run.env."+name)
		}
	}
	for _, sec := range r.Spec.Build.Secrets.V {
		if sec.Env.V == name {
			find(sec.Env.Pos, "build.secrets exposes "+sec.ID.V+" as "+name)
		}
	}
	if cmd := r.Spec.Build.Command; cmd.Set && (strings.Contains(cmd.V, name) || strings.Contains(cmd.V, "--no-cache-dir")) {
		find(cmd.Pos, "build.command sets "+name+" or --no-cache-dir")
	}
}

func spec0(line int) spec.Pos { return spec.Pos{Line: line, Column: 1} }
