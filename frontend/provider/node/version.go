package node

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

// ltsMajor is the Node release line used when nothing names one: the
// current LTS line (Node 26 entered long-term support in October 2026).
const ltsMajor = 26

// knownMajors are the release lines, newest first, that a version range
// is resolved against (even majors are the LTS lines).
var knownMajors = []int{26, 24, 22, 20}

// version is a Node version as far as it was written: 22, 22.11 or 22.11.0.
type version struct {
	parts []int
}

func (v version) String() string {
	s := make([]string, len(v.parts))
	for i, p := range v.parts {
		s[i] = strconv.Itoa(p)
	}
	return strings.Join(s, ".")
}

var exactVersion = regexp.MustCompile(`^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$`)

// parseExact reads "22", "v22.11.0", "lts/*"-free version files.
func parseExact(s string) (version, bool) {
	m := exactVersion.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return version{}, false
	}
	var v version
	for _, p := range m[1:] {
		if p == "" {
			break
		}
		n, _ := strconv.Atoi(p)
		v.parts = append(v.parts, n)
	}
	return v, true
}

// versionFiles are read in order; the first that names a version wins.
var versionFiles = []string{".nvmrc", ".node-version", ".tool-versions"}

// fileVersion reads the version a version manager file pins.
func fileVersion(ctx context.Context, fsys source.FS, dir string) (version, string, error) {
	for _, f := range versionFiles {
		name := join(dir, f)
		dt, err := fsys.ReadFile(ctx, name, 4096)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return version{}, "", err
		}
		text := strings.TrimSpace(string(dt))
		if f == ".tool-versions" {
			text = ""
			for line := range strings.Lines(string(dt)) {
				if fields := strings.Fields(line); len(fields) >= 2 && (fields[0] == "nodejs" || fields[0] == "node") {
					text = fields[1]
					break
				}
			}
			if text == "" {
				continue
			}
		}
		if strings.HasPrefix(text, "lts/") || text == "lts" || text == "node" {
			return version{parts: []int{ltsMajor}}, name + " (" + text + ")", nil
		}
		v, ok := parseExact(strings.Fields(text + " ")[0])
		if !ok {
			return version{}, "", fmt.Errorf("%s: %q is not a Node version (write e.g. 22 or 22.11.0)", name, text)
		}
		return v, name, nil
	}
	return version{}, "", nil
}

// satisfyingMajor picks the newest known release line that an
// engines.node range allows.
func satisfyingMajor(rng string) (int, bool) {
	for _, major := range knownMajors {
		if rangeAllowsMajor(rng, major) {
			return major, true
		}
	}
	return 0, false
}

// rangeAllowsMajor reports whether some version of a release line satisfies
// a semver range as npm writes them (||, spaces, >= > <= < =, ^, ~, x, -).
func rangeAllowsMajor(rng string, major int) bool {
	for _, alt := range strings.Split(rng, "||") {
		cmps, ok := comparators(strings.TrimSpace(alt))
		if !ok {
			continue
		}
		// A line is allowed when one of its versions passes every
		// comparator: try the bounds the comparators themselves name.
		cands := [][3]int{{major, 0, 0}, {major, 1 << 20, 0}}
		for _, c := range cmps {
			if c.v[0] == major {
				cands = append(cands, c.v, [3]int{c.v[0], c.v[1], c.v[2] + 1}, [3]int{c.v[0], c.v[1] + 1, 0})
				if c.v[2] > 0 {
					cands = append(cands, [3]int{c.v[0], c.v[1], c.v[2] - 1})
				}
			}
		}
		for _, v := range cands {
			all := true
			for _, c := range cmps {
				all = all && c.allows(v)
			}
			if all {
				return true
			}
		}
	}
	return false
}

type comparator struct {
	op string
	v  [3]int
}

func (c comparator) allows(v [3]int) bool {
	d := cmp3(v, c.v)
	switch c.op {
	case ">=":
		return d >= 0
	case ">":
		return d > 0
	case "<=":
		return d <= 0
	case "<":
		return d < 0
	}
	return d == 0
}

func cmp3(a, b [3]int) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

var partial = regexp.MustCompile(`^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-[0-9A-Za-z.-]+)?$`)

// comparators expands one alternative of a range into plain comparators.
func comparators(s string) ([]comparator, bool) {
	if s == "" || s == "*" || s == "x" {
		return nil, true
	}
	if lo, hi, ok := strings.Cut(s, " - "); ok {
		a, _, ok1 := parsePartial(strings.TrimSpace(lo))
		b, bn, ok2 := parsePartial(strings.TrimSpace(hi))
		if !ok1 || !ok2 {
			return nil, false
		}
		out := []comparator{{">=", a}}
		if bn == 3 {
			out = append(out, comparator{"<=", b})
		} else {
			out = append(out, comparator{"<", bump(b, bn)})
		}
		return out, true
	}
	var out []comparator
	for _, f := range strings.Fields(s) {
		op := ""
		for _, p := range []string{">=", "<=", ">", "<", "=", "^", "~"} {
			if strings.HasPrefix(f, p) {
				op, f = p, strings.TrimSpace(f[len(p):])
				break
			}
		}
		v, n, ok := parsePartial(f)
		if !ok {
			return nil, false
		}
		switch {
		case n == 0:
			// "*" or "x": anything
		case op == "^":
			out = append(out, comparator{">=", v}, comparator{"<", caret(v, n)})
		case op == "~":
			out = append(out, comparator{">=", v}, comparator{"<", bump(v, min(n, 2))})
		case op == "" || op == "=":
			if n == 3 {
				out = append(out, comparator{"=", v})
			} else {
				out = append(out, comparator{">=", v}, comparator{"<", bump(v, n)})
			}
		case op == ">" && n < 3:
			out = append(out, comparator{">=", bump(v, n)})
		case op == "<=" && n < 3:
			out = append(out, comparator{"<", bump(v, n)})
		default:
			out = append(out, comparator{op, v})
		}
	}
	return out, true
}

// parsePartial reads 22, 22.1, 22.x, 22.1.0; n is how many parts were numbers.
func parsePartial(s string) ([3]int, int, bool) {
	m := partial.FindStringSubmatch(s)
	if m == nil {
		return [3]int{}, 0, false
	}
	var v [3]int
	n := 0
	for i, p := range m[1:4] {
		if p == "" || p == "x" || p == "X" || p == "*" {
			break
		}
		v[i], _ = strconv.Atoi(p)
		n++
	}
	return v, n, true
}

// bump is the first version after every version that starts with v's
// first n parts.
func bump(v [3]int, n int) [3]int {
	switch n {
	case 1:
		return [3]int{v[0] + 1, 0, 0}
	case 2:
		return [3]int{v[0], v[1] + 1, 0}
	}
	return [3]int{v[0], v[1], v[2] + 1}
}

// caret is ^v's exclusive upper bound: the left-most non-zero part bumps.
func caret(v [3]int, n int) [3]int {
	switch {
	case v[0] > 0 || n == 1:
		return [3]int{v[0] + 1, 0, 0}
	case v[1] > 0 || n == 2:
		return [3]int{0, v[1] + 1, 0}
	}
	return [3]int{0, 0, v[2] + 1}
}
