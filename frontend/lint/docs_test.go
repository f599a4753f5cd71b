package lint_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/strata-build/strata/frontend/lint"
	"github.com/strata-build/strata/frontend/pipeline"
)

var camelCase = regexp.MustCompile(`^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+$`)

// Every rule, generic or a provider's, has a CamelCase name, a one-line
// description, a docs page at its URL's path and a row in the README.
func TestEveryRuleIsDocumented(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range pipeline.Rules() {
		if !camelCase.MatchString(r.Name) || seen[r.Name] {
			t.Errorf("rule name %q is not CamelCase or not unique", r.Name)
		}
		seen[r.Name] = true
		if r.Description == "" || strings.Contains(r.Description, "\n") || strings.HasSuffix(r.Description, ".") {
			t.Errorf("%s: description %q is not one line without a full stop", r.Name, r.Description)
		}
		if r.URL() != lint.DocsBase+r.DocsPath() || !strings.HasPrefix(r.DocsPath(), "docs/rules/") {
			t.Errorf("%s: URL %s", r.Name, r.URL())
		}
		page, err := os.ReadFile(filepath.Join(root, r.DocsPath()))
		if err != nil {
			t.Errorf("%s: no docs page: %v", r.Name, err)
			continue
		}
		if !strings.HasPrefix(string(page), "# "+r.Name+"\n\n"+r.Description+".\n") {
			t.Errorf("%s: %s should start with `# %s`, a blank line and the description", r.Name, r.DocsPath(), r.Name)
		}
		if !strings.Contains(string(readme), "[`"+r.Name+"`]("+r.DocsPath()+")") {
			t.Errorf("README's rules table lacks [`%s`](%s)", r.Name, r.DocsPath())
		}
	}
	if len(seen) != 18 {
		t.Errorf("%d rules, want 18", len(seen))
	}
	if got := (lint.Rule{Name: "GoSumMissing"}).DocsPath(); got != "docs/rules/go-sum-missing.md" {
		t.Errorf("kebab case: %s", got)
	}
}
