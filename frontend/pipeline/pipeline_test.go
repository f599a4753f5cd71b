package pipeline

import (
	"errors"
	"strings"
	"testing"

	"github.com/strata-build/strata/frontend/spec"
)

// A mistake in the go: section is reported with the shared keys' ones.
func TestParseReportsSectionProblemsWithTheRest(t *testing.T) {
	_, err := Parse("Dockerfile", []byte("# syntax=x\nrun:\n  prot: 80\ngo:\n  mian: .\n  cgo: maybe\nbogus: 1\n"))
	var es spec.Errors
	if !errors.As(err, &es) || len(es) != 4 {
		t.Fatalf("want 4 problems, got %v", err)
	}
	var keys []string
	for _, e := range es {
		keys = append(keys, e.Key)
	}
	if got := strings.Join(keys, " "); got != "run.prot go.mian go.cgo bogus" {
		t.Errorf("keys = %s", got)
	}
}

func TestParseValid(t *testing.T) {
	s, err := Parse("Dockerfile", []byte("app: go\ngo:\n  main: ./cmd/api\n"))
	if err != nil || s.Sections["go"] == nil {
		t.Errorf("Parse = %+v, %v", s, err)
	}
}
