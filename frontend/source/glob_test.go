package source

import (
	"context"
	"slices"
	"testing"
)

func TestGlob(t *testing.T) {
	m := &Map{Files: map[string]string{
		"package.json":                           "{}",
		"apps/web/package.json":                  "{}",
		"apps/web/src/index.js":                  "",
		"apps/docs/README.md":                    "",
		"packages/a/package.json":                "{}",
		"packages/group/b/package.json":          "{}",
		"packages/a/node_modules/x/package.json": "{}",
		"packages/.hidden/package.json":          "{}",
	}}
	ctx := context.Background()
	for _, c := range []struct {
		patterns []string
		want     []string
	}{
		{[]string{"apps/*"}, []string{"apps/web"}},
		{[]string{"apps/*", "packages/*"}, []string{"apps/web", "packages/a"}},
		{[]string{"packages/**"}, []string{"packages/a", "packages/group/b"}},
		{[]string{"apps/web", "apps/web/"}, []string{"apps/web"}},
		{[]string{"missing/*"}, nil},
	} {
		got, err := GlobAll(ctx, m, c.patterns, "package.json")
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("GlobAll(%q) = %q, %v; want %q", c.patterns, got, err, c.want)
		}
	}
	if m.Reads["apps/web/src/index.js"] != 0 || m.Reads["apps/web/src/"] != 0 {
		t.Errorf("Glob read below what its patterns lead to: %v", m.Reads)
	}
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, name string
		want          bool
	}{
		{"apps/*/package.json", "apps/web/package.json", true},
		{"apps/*/package.json", "apps/web/x/package.json", false},
		{"packages/**/package.json", "packages/a/b/package.json", true},
		{"packages/**/package.json", "packages/package.json", true},
		{"go.mod", "go.mod", true},
		{"go.mod", "a/go.mod", false},
	} {
		if got := Match(c.pattern, c.name); got != c.want {
			t.Errorf("Match(%q, %q) = %v", c.pattern, c.name, got)
		}
	}
}
