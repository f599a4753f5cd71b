package provider

import (
	"slices"
	"testing"

	"github.com/strata-build/strata/frontend/spec"
)

// The source copy leaves out .dockerignore and the description by its
// name, never a pattern a name with glob characters would make.
func TestDescriptionFiles(t *testing.T) {
	for _, c := range []struct {
		file string
		want []string
	}{
		{"Dockerfile", []string{".dockerignore", "Dockerfile", "Dockerfile.dockerignore"}},
		{"deploy/api.Dockerfile", []string{".dockerignore", "api.Dockerfile", "api.Dockerfile.dockerignore"}},
		{"", []string{".dockerignore"}},
		{"Docker*file", []string{".dockerignore"}},
		{"build[1]", []string{".dockerignore"}},
		{".dockerignore", []string{".dockerignore"}},
	} {
		if got := DescriptionFiles(&spec.Spec{File: c.file}); !slices.Equal(got, c.want) {
			t.Errorf("%q: %q, want %q", c.file, got, c.want)
		}
	}
	if got := DescriptionFiles(nil); !slices.Equal(got, []string{".dockerignore"}) {
		t.Errorf("no spec: %q", got)
	}
}
