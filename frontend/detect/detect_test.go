package detect

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/frontend/spec"
)

func parse(t *testing.T, desc string) *spec.Spec {
	t.Helper()
	s, err := spec.Parse("Dockerfile", []byte(desc), Names())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSelect(t *testing.T) {
	ctx := context.Background()
	goCtx := &source.Map{Files: map[string]string{"go.mod": "module x\n"}}
	p, why, err := Select(ctx, parse(t, ""), goCtx)
	if err != nil || p.Name() != "go" || why != "detected from the build context" {
		t.Errorf("detect: %v %q %v", p, why, err)
	}
	p, why, err = Select(ctx, parse(t, "# syntax=x\ngo:\n  cgo: true\n"), &source.Map{})
	if err != nil || p.Name() != "go" || why != "Dockerfile line 2" {
		t.Errorf("section: %v %q %v", p, why, err)
	}
	_, _, err = Select(ctx, parse(t, ""), &source.Map{Files: map[string]string{"README.md": "x"}})
	var se *spec.Error
	if !errors.As(err, &se) || !strings.Contains(se.Msg, "no app found") || !strings.Contains(se.Hint, "go.mod") {
		t.Errorf("empty context: %v", err)
	}
}

func TestPatternsNeverWalkTheContext(t *testing.T) {
	for _, p := range Patterns(parse(t, "")) {
		if strings.HasPrefix(p, "**") || p == "*" || p == "." {
			t.Errorf("pattern %q would transfer the whole context", p)
		}
	}
}
