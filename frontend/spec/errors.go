package spec

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Pos is a 1-based line and column in the description file.
type Pos struct {
	Line   int
	Column int
}

// IsZero reports whether the position is unknown (a default, not written by the user).
func (p Pos) IsZero() bool { return p.Line == 0 }

// Error is a problem in the description: it names the file, the line and the
// key, and carries a hint on how to fix it.
type Error struct {
	File string
	// Rule names the lint rule this problem also is, if any, so
	// `--call=check` reports it as a finding of that rule.
	Rule string
	Pos  Pos
	Key  string // dotted path such as "go.main"
	Msg  string
	Hint string
	// hidden counts the problems this one stands for past MaxErrors, so
	// joining capped lists again keeps the count right.
	hidden int
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if !e.Pos.IsZero() {
		fmt.Fprintf(&b, ":%d:%d", e.Pos.Line, e.Pos.Column)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Suggest returns a "did you mean" hint for a misspelt word, or a list of the
// allowed words when none is close.
func Suggest(got string, allowed []string) string {
	if best, ok := Closest(got, allowed); ok {
		return fmt.Sprintf("did you mean `%s`?", best)
	}
	sorted := append([]string(nil), allowed...)
	sort.Strings(sorted)
	return "expected one of: " + strings.Join(sorted, ", ")
}

// Closest returns the allowed word nearest to got, if one is close enough
// to be a typo of it.
func Closest(got string, allowed []string) (string, bool) {
	best, bestDist := "", 3
	for _, a := range allowed {
		if d := distance(strings.ToLower(got), strings.ToLower(a)); d < bestDist {
			best, bestDist = a, d
		}
	}
	return best, best != ""
}

// distance is the Levenshtein edit distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// MaxErrors caps how many problems one description reports: past it, the
// rest are counted, so a pasted file of the wrong kind does not scroll away.
const MaxErrors = 20

// Errors is every problem found in a description, in file order. Error()
// gives one per line; errors.As(err, &*Error) finds the first.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As and errors.Is look at each problem.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Join merges the problems of several steps (parsing, decoding sections)
// into one Errors in file order, capped at MaxErrors; nil when there are
// none. An error that is not about the description is returned as it is.
func Join(errs ...error) error {
	var all Errors
	hidden := 0
	for _, err := range errs {
		var es Errors
		var e *Error
		switch {
		case err == nil:
		case errors.As(err, &es):
		case errors.As(err, &e):
			es = Errors{e}
		default:
			return err
		}
		for _, e := range es {
			if e.hidden > 0 {
				hidden += e.hidden
			} else {
				all = append(all, e)
			}
		}
	}
	if len(all) == 0 {
		return nil
	}
	// Problems without a position (about the whole file) come last.
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i].Pos, all[j].Pos
		if a.IsZero() != b.IsZero() {
			return b.IsZero()
		}
		return a.Line < b.Line || (a.Line == b.Line && a.Column < b.Column)
	})
	if len(all) > MaxErrors {
		hidden += len(all) - MaxErrors
		all = all[:MaxErrors:MaxErrors]
	}
	if hidden > 0 {
		all = append(all, &Error{File: all[0].File, hidden: hidden,
			Msg: fmt.Sprintf("%d more problems not shown", hidden), Hint: "fix the ones above first"})
	}
	return all
}
