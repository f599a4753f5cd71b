package python

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// poetryVersion is one version in a poetry constraint: 3, 3.11, 3.11.2.
var poetryVersion = regexp.MustCompile(`^(\d+)(?:\.(\d+))?(?:\.(\d+))?$`)

// opSpace joins an operator to its version, so ">= 3.10" is one clause.
var opSpace = regexp.MustCompile(`(~=|==|!=|<=|>=|<|>|\^|~)\s+`)

// poetryToPEP440 translates poetry's python constraint into PEP 440
// specifier sets, one per `||` alternative: ^3.11 → >=3.11,<4.0,
// ~3.11 → >=3.11,<3.12, 3.11 → ==3.11, * → any; PEP 440 clauses
// (~=, >=, <, ==3.11.* …) pass through. Clauses are separated by commas or
// spaces.
func poetryToPEP440(constraint string) ([]string, error) {
	var sets []string
	for _, alt := range strings.Split(strings.ReplaceAll(constraint, "||", "|"), "|") {
		fields := strings.Fields(strings.ReplaceAll(opSpace.ReplaceAllString(alt, "$1"), ",", " "))
		if len(fields) == 0 {
			return nil, fmt.Errorf("empty alternative")
		}
		var clauses []string
		for _, f := range fields {
			c, err := poetryClause(f)
			if err != nil {
				return nil, err
			}
			if c != "" {
				clauses = append(clauses, c)
			}
		}
		sets = append(sets, strings.Join(clauses, ","))
	}
	return sets, nil
}

func poetryClause(f string) (string, error) {
	switch {
	case f == "*":
		return "", nil
	case strings.HasPrefix(f, "^"):
		v, err := poetryParts(f[1:])
		if err != nil {
			return "", err
		}
		// The upper bound bumps the first non-zero part.
		i := 0
		for i < len(v)-1 && v[i] == 0 {
			i++
		}
		return ">=" + f[1:] + "," + "<" + bump(v, i), nil
	case strings.HasPrefix(f, "~") && !strings.HasPrefix(f, "~="):
		v, err := poetryParts(f[1:])
		if err != nil {
			return "", err
		}
		i := 1 // ~3.11 and ~3.11.2 stay within 3.11; ~3 within 3
		if len(v) == 1 {
			i = 0
		}
		return ">=" + f[1:] + "," + "<" + bump(v, i), nil
	case f[0] >= '0' && f[0] <= '9':
		if _, err := poetryParts(strings.TrimSuffix(f, ".*")); err != nil {
			return "", err
		}
		return "==" + f, nil
	}
	if specifier.MatchString(f) {
		return f, nil
	}
	return "", fmt.Errorf("%q is not a version constraint", f)
}

func poetryParts(s string) ([]int, error) {
	m := poetryVersion.FindStringSubmatch(s)
	if m == nil {
		return nil, fmt.Errorf("%q is not a version", s)
	}
	var v []int
	for _, p := range m[1:] {
		if p == "" {
			break
		}
		n, _ := strconv.Atoi(p)
		v = append(v, n)
	}
	return v, nil
}

// bump raises part i and drops what follows: bump([3 11], 0) is "4.0".
func bump(v []int, i int) string {
	parts := []string{strconv.Itoa(v[i] + 1)}
	for j := 0; j < i; j++ {
		parts = append([]string{strconv.Itoa(v[i-1-j])}, parts...)
	}
	if len(parts) == 1 {
		parts = append(parts, "0")
	}
	return strings.Join(parts, ".")
}

// lineForAny picks the line for alternatives (poetry's ||): the default
// when one allows it, else the newest known line one allows.
func lineForAny(sets []string) (string, bool) {
	if allowsAny(sets, defaultLine) {
		return lineString(defaultLine), true
	}
	for _, l := range knownLines {
		if allowsAny(sets, l) {
			return lineString(l), true
		}
	}
	return "", false
}

func allowsAny(sets []string, line [2]int) bool {
	for _, s := range sets {
		if allows(s, line) {
			return true
		}
	}
	return false
}

// pythonRange is the Python range the project declares: requires-python,
// else poetry's [tool.poetry.dependencies] python constraint. label names
// it for messages; sets is nil when neither is there.
func (r *resolver) pythonRange() (label string, sets []string, err error) {
	if r.proj == nil {
		return "", nil, nil
	}
	if rng := r.proj.Project.RequiresPython; rng != "" {
		return fmt.Sprintf("pyproject.toml requires-python %q", rng), []string{rng}, nil
	}
	raw, ok := r.proj.Tool.Poetry.Dependencies["python"]
	if !ok {
		return "", nil, nil
	}
	c, isString := raw.(string)
	if !isString {
		return "", nil, fmt.Errorf("pyproject.toml: [tool.poetry.dependencies] python must be a version constraint string such as \"^3.11\", not %T", raw)
	}
	label = fmt.Sprintf("pyproject.toml [tool.poetry.dependencies] python %q", c)
	if sets, err = poetryToPEP440(c); err != nil {
		return "", nil, fmt.Errorf("pyproject.toml: [tool.poetry.dependencies] python %q: %v (write e.g. \"^3.11\", \"~3.12\" or \">=3.10,<3.14\")", c, err)
	}
	return label, sets, nil
}
