package golang

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/strata-build/strata/frontend/spec"
)

// The provider's findings: rule, file and line, or nothing on a good module.
func TestFindings(t *testing.T) {
	sqlite := "module x\n\ngo 1.26\n\nrequire (\n\tgithub.com/google/uuid v1.6.0\n\tgithub.com/mattn/go-sqlite3 v1.14.22\n)\n"
	uuidSum := "github.com/google/uuid v1.6.0 h1:x=\ngithub.com/google/uuid v1.6.0/go.mod h1:y=\n"
	goodSum := uuidSum + "github.com/mattn/go-sqlite3 v1.14.22/go.mod h1:z=\n"
	cases := []struct {
		name, desc string
		files      map[string]string
		want       []string
	}{
		{"cgo off with sqlite3", "go:\n  cgo: false\n", map[string]string{"go.mod": sqlite, "go.sum": goodSum}, []string{"CgoDisabledButRequired Dockerfile:2"}},
		{"cgo on with sqlite3", "go:\n  cgo: true\n", map[string]string{"go.mod": sqlite, "go.sum": goodSum}, nil},
		{"cgo detected", "", map[string]string{"go.mod": sqlite, "go.sum": goodSum}, nil},
		{"go.sum missing", "", map[string]string{"go.mod": sqlite}, []string{"GoSumMissing go.mod:6"}},
		{"go.sum without one module", "", map[string]string{"go.mod": sqlite, "go.sum": uuidSum}, []string{"GoSumMissing go.mod:7"}},
		{"no requirements, no go.sum", "", map[string]string{"go.mod": "module x\n\ngo 1.26\n"}, nil},
		{"vendored", "", map[string]string{"go.mod": sqlite, "vendor/modules.txt": "# x\n"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.files["main.go"] = mainGo
			p, _, err := planFor(t, c.desc, c.files)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range p.Findings {
				file := f.File
				if file == "" {
					file = "Dockerfile"
				}
				got = append(got, fmt.Sprintf("%s %s:%d", f.Rule, file, f.Pos.Line))
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("findings %q, want %q: %+v", got, c.want, p.Findings)
			}
		})
	}
}

// GoVersionTooOld stays an error, and says which rule it also is.
func TestGoVersionTooOldIsARuledError(t *testing.T) {
	_, _, err := planFor(t, "go:\n  version: \"1.25\"\n", map[string]string{"go.mod": "module x\n\ngo 1.26\n", "main.go": mainGo})
	var se *spec.Error
	if !errors.As(err, &se) || se.Rule != "GoVersionTooOld" || se.Pos.Line != 2 {
		t.Fatalf("err = %#v", err)
	}
	if _, _, err := planFor(t, "go:\n  version: \"1.26\"\n", map[string]string{"go.mod": "module x\n\ngo 1.26\n", "main.go": mainGo}); err != nil {
		t.Errorf("a new enough go.version: %v", err)
	}
}
