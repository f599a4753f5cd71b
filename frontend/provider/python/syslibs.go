package python

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/provider"
)

// sysLib is what a distribution needs from Debian: packages to build it
// (when the builder, python:<version> on the buildpack-deps image, lacks
// them) and a shared library it loads at run time (which the slim runtime
// image lacks).
type sysLib struct {
	dist  string
	build []string // needed in build.packages; nil when the builder has them
	run   string   // the runtime library's Debian package
}

// sysLibs is a small table of distributions that are compiled against, or
// load, a system library. The official builder image has the headers of
// libpq, MariaDB, libxml2, libffi, OpenSSL and more, so those need nothing
// in build.packages.
var sysLibs = []sysLib{
	{dist: "psycopg2", run: "libpq5"},
	{dist: "mysqlclient", run: "libmariadb3"},
	{dist: "pycairo", build: []string{"libcairo2-dev", "pkg-config"}, run: "libcairo2"},
	{dist: "python-magic", run: "libmagic1"},
}

// checkSystemLibraries finds each dependency of the table whose Debian
// packages the description does not declare. A runtime base the user
// names is theirs: only the default (the slim image, or debian-slim) is
// known to lack the libraries.
func (r *resolver) checkSystemLibraries(ctx context.Context) {
	runKnown := !r.Spec.Run.Base.Set || slices.Contains(provider.Aliases(), r.Spec.Run.Base.V)
	for _, lib := range sysLibs {
		if !slices.Contains(r.deps, lib.dist) {
			continue
		}
		file, line := r.depLine(ctx, lib.dist)
		var missing []string
		for _, p := range lib.build {
			if !slices.ContainsFunc(r.Spec.Build.Packages.V, func(q string) bool { return q == p || strings.HasPrefix(q, p+"=") }) {
				missing = append(missing, p)
			}
		}
		if len(missing) > 0 {
			r.Find(ruleSystemLibraryMissing.Name, plan.Finding{File: file, Pos: spec0(line),
				Message: fmt.Sprintf("%s is compiled against %s, which python:%s does not have: the install fails (add `build: {packages: [%s]}`)", lib.dist, strings.Join(missing, " and "), r.version, strings.Join(missing, ", "))})
		}
		if runKnown && !slices.ContainsFunc(r.Spec.Run.Packages.V, func(p string) bool { return p == lib.run || strings.HasPrefix(p, lib.run+"=") }) {
			r.Find(ruleSystemLibraryMissing.Name, plan.Finding{File: file, Pos: spec0(line),
				Message: fmt.Sprintf("%s loads the shared library of Debian's %s at run time, which the runtime image does not have: importing it fails (add `run: {packages: [%s]}`)", lib.dist, lib.run, lib.run)})
		}
	}
}

// depLine is the file and line that name a dependency: the requirements
// file's line, else pyproject.toml's first line naming it, else line 1.
func (r *resolver) depLine(ctx context.Context, dist string) (string, int) {
	file := "pyproject.toml"
	if r.requirements != "" {
		file = r.requirements
	}
	dt, err := r.in.Context.ReadFile(ctx, file, maxFile)
	if err != nil {
		return file, 1
	}
	n := 0
	for line := range strings.Lines(string(dt)) {
		n++
		text := strings.Trim(strings.TrimSpace(line), `"'`)
		if m := requirementName.FindStringSubmatch(text); m != nil && normalize(m[1]) == dist {
			return file, n
		}
	}
	return file, 1
}
