package golang

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/strata-build/strata/frontend/lint"
	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/source"
)

// The Go provider's lint rules. Their findings are recorded while planning,
// where go.mod is at hand; their docs pages are docs/rules/<name>.md.
var (
	ruleGoVersionTooOld = lint.Rule{
		Name:        "GoVersionTooOld",
		Description: "go.version should not be older than the Go version go.mod requires",
	}
	ruleCgoDisabledButRequired = lint.Rule{
		Name:        "CgoDisabledButRequired",
		Description: "cgo should not be turned off when go.mod requires a module that needs it",
	}
	ruleGoSumMissing = lint.Rule{
		Name:        "GoSumMissing",
		Description: "go.sum should exist and cover every module go.mod requires",
	}
)

// Rules are the Go provider's lint rules (lint.Ruled).
func (Provider) Rules() []lint.Rule {
	return []lint.Rule{ruleGoVersionTooOld, ruleCgoDisabledButRequired, ruleGoSumMissing}
}

// cgoRequirement is the first require line of a module that needs cgo.
func (r *resolver) cgoRequirement() (requirement, bool) {
	for _, req := range r.mod.Requires {
		if slices.Contains(cgoModules, req.Path) {
			return req, true
		}
	}
	return requirement{}, false
}

// findCgoDisabled: `cgo: false` with such a module builds, and fails when
// the module is first used (go-sqlite3 compiles to a stub without cgo).
func (r *resolver) findCgoDisabled(req requirement) {
	r.Find(ruleCgoDisabledButRequired.Name, plan.Finding{Pos: r.cfg.Cgo.Pos,
		Message: fmt.Sprintf("go.cgo is false, but go.mod line %d requires %s, which needs cgo (remove `cgo: false`: Strata turns cgo on for it)",
			req.Pos.Line, req.Path)})
}

// checkGoSum finds require lines go.sum has no line for: the build then
// fails with "missing go.sum entry" after the download. Vendored modules
// build from vendor/ and workspaces sum in go.work.sum, so both are left
// alone.
func (r *resolver) checkGoSum(ctx context.Context) error {
	if r.vendored || r.mod.Workspace != nil || len(r.mod.Requires) == 0 {
		return nil
	}
	sum, err := source.ReadAll(ctx, r.in.Context, "go.sum", maxSumFile)
	if errors.Is(err, fs.ErrNotExist) {
		first := r.mod.Requires[0]
		r.Find(ruleGoSumMissing.Name, plan.Finding{File: "go.mod", Pos: first.Pos,
			Message: fmt.Sprintf("go.sum is missing, and go.mod requires %s: the build cannot verify them (run `go mod tidy` and add go.sum to the build context)", modules(len(r.mod.Requires)))})
		return nil
	} else if err != nil {
		return err
	}
	for _, req := range r.mod.Requires {
		if !summed(sum, req) {
			r.Find(ruleGoSumMissing.Name, plan.Finding{File: "go.mod", Pos: req.Pos,
				Message: fmt.Sprintf("go.sum has no line for %s %s (run `go mod tidy`)", req.Path, req.Version)})
		}
	}
	return nil
}

// summed reports whether go.sum has a hash for the module or its go.mod,
// as `go mod tidy` writes for every requirement.
func summed(sum []byte, req requirement) bool {
	for _, line := range bytes.Split(sum, []byte("\n")) {
		f := bytes.Fields(line)
		if len(f) >= 2 && string(f[0]) == req.Path && (string(f[1]) == req.Version || string(f[1]) == req.Version+"/go.mod") {
			return true
		}
	}
	return false
}

func modules(n int) string {
	if n == 1 {
		return "1 module"
	}
	return fmt.Sprintf("%d modules", n)
}
