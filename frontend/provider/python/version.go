package python

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"

	"github.com/strata-build/strata/frontend/source"
)

// defaultLine is the Python release line used when nothing names one, or
// when requires-python allows it: the newest line whose wheels most
// packages publish.
var defaultLine = [2]int{3, 13}

// knownLines are the release lines, newest first, a requires-python range
// is resolved against when it does not allow the default.
var knownLines = [][2]int{{3, 14}, {3, 13}, {3, 12}, {3, 11}, {3, 10}}

var pythonVersion = regexp.MustCompile(`^(?:python-)?(3)\.(\d+)(?:\.(\d+))?$`)

// parseVersion reads 3.12, 3.12.4 or runtime.txt's python-3.12.4.
func parseVersion(s string) (string, bool) {
	m := pythonVersion.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", false
	}
	v := m[1] + "." + m[2]
	if m[3] != "" {
		v += "." + m[3]
	}
	return v, true
}

// fileVersion reads the version .python-version or runtime.txt pins.
func fileVersion(ctx context.Context, fsys source.FS) (string, string, error) {
	for _, name := range []string{".python-version", "runtime.txt"} {
		dt, err := fsys.ReadFile(ctx, name, 4096)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return "", "", err
		}
		first, _, _ := strings.Cut(strings.TrimSpace(string(dt)), "\n")
		v, ok := parseVersion(first)
		if !ok {
			return "", "", fmt.Errorf("%s: %q is not a Python version (write e.g. 3.12 or 3.12.4)", name, first)
		}
		return v, name, nil
	}
	return "", "", nil
}

// lineFor picks the line for a requires-python specifier: the default
// when allowed, else the newest known line allowed.
func lineFor(spec string) (string, bool) {
	if allows(spec, defaultLine) {
		return lineString(defaultLine), true
	}
	for _, l := range knownLines {
		if allows(spec, l) {
			return lineString(l), true
		}
	}
	return "", false
}

func lineString(l [2]int) string { return fmt.Sprintf("%d.%d", l[0], l[1]) }

var specifier = regexp.MustCompile(`^(~=|==|!=|<=|>=|<|>)\s*(\d+)(?:\.(\d+|\*))?(?:\.(\d+|\*))?$`)

// allows reports whether some release of a line satisfies a PEP 440
// specifier set (comma-separated clauses, compared on major.minor, with the
// patch level taken into account for bounds inside the line).
func allows(spec string, line [2]int) bool {
	if strings.TrimSpace(spec) == "" {
		return true
	}
	// Try the first and a late patch release of the line.
	for _, patch := range []int{0, 99} {
		v := [3]int{line[0], line[1], patch}
		ok := true
		for _, clause := range strings.Split(spec, ",") {
			m := specifier.FindStringSubmatch(strings.TrimSpace(clause))
			if m == nil {
				return false
			}
			ok = ok && clauseAllows(m, v)
		}
		if ok {
			return true
		}
	}
	return false
}

func clauseAllows(m []string, v [3]int) bool {
	op := m[1]
	var want [3]int
	parts := 0
	wild := false
	for i, p := range m[2:5] {
		switch p {
		case "":
		case "*":
			wild = true
		default:
			want[i], _ = strconv.Atoi(p)
			parts = i + 1
		}
	}
	d := 0
	for i := 0; i < 3 && d == 0; i++ {
		if i >= parts && (wild || op == "==" || op == "!=") {
			break // ==3.12 and ==3.12.* match the whole line
		}
		if v[i] != want[i] {
			d = 1
			if v[i] < want[i] {
				d = -1
			}
		}
	}
	switch op {
	case ">=":
		return d >= 0
	case ">":
		return d > 0
	case "<=":
		return d <= 0
	case "<":
		return d < 0
	case "==":
		return d == 0
	case "!=":
		return d != 0
	case "~=":
		// ~=3.11 means >=3.11, ==3.*; ~=3.11.2 means >=3.11.2, ==3.11.*
		if d < 0 {
			return false
		}
		if parts <= 2 {
			return v[0] == want[0]
		}
		return v[0] == want[0] && v[1] == want[1]
	}
	return false
}
