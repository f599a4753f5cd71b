package source

import (
	"path"
	"strings"

	"github.com/moby/patternmatcher"
)

// Excludes are the .dockerignore patterns that matter to a context
// narrowed to include: all of them unless every include is a plain path
// (no glob) and no pattern is an exception, else only those that match
// an include, a parent of one, or something below one. A step keyed on
// go.mod and go.sum then has the same local source whatever else the
// .dockerignore lists, so two descriptions of one module (one per binary,
// each leaving the other's files out) share that step.
func Excludes(ignore, include []string) []string {
	if len(include) == 0 || len(ignore) == 0 {
		return ignore
	}
	for _, i := range include {
		if strings.ContainsAny(i, "*?[\\") {
			return ignore
		}
	}
	for _, p := range ignore {
		if strings.HasPrefix(p, "!") {
			return ignore
		}
	}
	var out []string
	for _, p := range ignore {
		if relevant(p, include) {
			out = append(out, p)
		}
	}
	return out
}

// relevant reports whether pattern p may exclude an include or a path
// below one.
func relevant(p string, include []string) bool {
	clean := path.Clean(strings.TrimPrefix(p, "/"))
	if strings.Contains(clean, "**") {
		return true
	}
	pm, err := patternmatcher.New([]string{p})
	if err != nil {
		return true // BuildKit reports a bad pattern itself
	}
	for _, i := range include {
		i = path.Clean(i)
		if ok, _ := pm.MatchesOrParentMatches(i); ok {
			return true
		}
		// A pattern below the include: its first segments match the
		// include's path (a directory it narrows).
		if below(clean, i) {
			return true
		}
	}
	return false
}

// below reports whether pattern (a cleaned path pattern) names something
// inside dir: dir's segments match the pattern's first ones.
func below(pattern, dir string) bool {
	if dir == "." {
		return true
	}
	ps, ds := strings.Split(pattern, "/"), strings.Split(dir, "/")
	if len(ps) <= len(ds) {
		return false
	}
	for k, d := range ds {
		if ok, err := path.Match(ps[k], d); err != nil || !ok {
			return false
		}
	}
	return true
}
