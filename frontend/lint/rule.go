package lint

import (
	"strings"
	"unicode"
)

// Rule is one check: the CamelCase name users skip it by, a one-line
// description, and a docs page in the repository.
type Rule struct {
	Name        string
	Description string
}

// DocsBase is where the repository's files are served; a rule's URL is its
// docs page under it. Change it here when the docs move.
const DocsBase = "https://github.com/strata-build/strata/blob/main/"

// DocsPath is the rule's page in the repository: docs/rules/<name-in-kebab-case>.md.
func (r Rule) DocsPath() string { return "docs/rules/" + kebab(r.Name) + ".md" }

// URL is where users read about the rule.
func (r Rule) URL() string { return DocsBase + r.DocsPath() }

// Ruled is a provider with rules of its own. It records their findings in
// plan.Findings while planning, where it has what they need (go.mod …).
type Ruled interface {
	Rules() []Rule
}

// Find looks a rule up by name; a name no rule has gives a bare Rule, so a
// finding is never dropped for want of a description.
func Find(rules []Rule, name string) Rule {
	for _, r := range rules {
		if r.Name == name {
			return r
		}
	}
	return Rule{Name: name}
}

// kebab turns GoSumMissing into go-sum-missing.
func kebab(name string) string {
	var b strings.Builder
	for i, r := range name {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('-')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
