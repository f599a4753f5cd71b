package golang

import (
	"fmt"
	"strconv"
	"strings"
)

// goVersion is a Go release such as 1.26 or 1.26.8; Patch is -1 when absent.
type goVersion struct {
	Major, Minor, Patch int
}

func parseGoVersion(s string) (goVersion, error) {
	v := goVersion{Patch: -1}
	parts := strings.Split(strings.TrimPrefix(s, "go"), ".")
	if len(parts) < 2 || len(parts) > 3 {
		return v, fmt.Errorf("%q is not a Go version", s)
	}
	nums := []*int{&v.Major, &v.Minor, &v.Patch}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, fmt.Errorf("%q is not a Go version", s)
		}
		*nums[i] = n
	}
	return v, nil
}

// minor is the release line, used as image tag: golang:1.26 is always the
// newest 1.26.x, which satisfies any `go 1.26.x` line.
func (v goVersion) minor() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

func (v goVersion) String() string {
	if v.Patch < 0 {
		return v.minor()
	}
	return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
}

// satisfies reports whether a builder of version v can build a module that
// requires req. A version without patch names the newest of its line.
func (v goVersion) satisfies(req goVersion) bool {
	if v.Major != req.Major {
		return v.Major > req.Major
	}
	if v.Minor != req.Minor {
		return v.Minor > req.Minor
	}
	if v.Patch < 0 || req.Patch < 0 {
		return true
	}
	return v.Patch >= req.Patch
}
