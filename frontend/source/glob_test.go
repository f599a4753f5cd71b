package source

import (
	"context"
	"slices"
	"testing"
)

func TestGlob(t *testing.T) {
	m := &Map{Files: map[string]string{
		"pyproject.toml":                   "",
		"packages/api/pyproject.toml":      "",
		"packages/lib/pyproject.toml":      "",
		"packages/notes.txt":               "",
		"libs/one/sub/pyproject.toml":      "",
		"node_modules/x/pyproject.toml":    "",
		"packages/api/src/api/__init__.py": "",
	}}
	cases := map[string][]string{
		"packages/*":                    {"packages/api", "packages/lib", "packages/notes.txt"},
		"packages/a*":                   {"packages/api"},
		"libs/*/sub":                    {"libs/one/sub"},
		"packages/api":                  {"packages/api"},
		"missing/*":                     nil,
		"packages/[al]*/pyproject.toml": {"packages/api/pyproject.toml", "packages/lib/pyproject.toml"},
	}
	for pattern, want := range cases {
		got, err := Glob(context.Background(), m, pattern)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("Glob(%q) = %q, %v; want %q", pattern, got, err, want)
		}
	}
	// Only the directories on the glob's way are listed.
	if m.Reads["node_modules/"] != 0 || m.Reads["packages/api/src/"] != 0 {
		t.Errorf("Glob listed directories off its way: %v", m.Reads)
	}
	if _, err := Glob(context.Background(), m, "packages/[a"); err == nil {
		t.Error("a malformed glob passed")
	}
}
