package source

import (
	"slices"
	"testing"
)

func TestExcludes(t *testing.T) {
	for _, c := range []struct {
		ignore, include, want []string
	}{
		// Only what may touch go.mod or go.sum stays.
		{[]string{"cmd/notify/*.go", "*.md", "go.sum", "*.sum"}, []string{"go.mod", "go.sum"}, []string{"go.sum", "*.sum"}},
		// A directory include keeps the patterns inside it.
		{[]string{"migrations/*.tmp", "docs", "m*/old/x"}, []string{"migrations"}, []string{"migrations/*.tmp", "m*/old/x"}},
		// A parent directory pattern excludes the include.
		{[]string{"config", "other"}, []string{"config/app.yaml"}, []string{"config"}},
		{[]string{"**/*.bak", "x"}, []string{"go.mod"}, []string{"**/*.bak"}},
		// Globs in the include, or an exception: everything stays.
		{[]string{"a", "b"}, []string{"*.go"}, []string{"a", "b"}},
		{[]string{"a", "!a/keep"}, []string{"go.mod"}, []string{"a", "!a/keep"}},
		// The whole context: everything stays.
		{[]string{"a"}, nil, []string{"a"}},
	} {
		if got := Excludes(c.ignore, c.include); !slices.Equal(got, c.want) {
			t.Errorf("Excludes(%q, %q) = %q, want %q", c.ignore, c.include, got, c.want)
		}
	}
}
