package llb_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/internal/golden"
	"github.com/strata-build/strata/llb"
)

// The converter is pinned on plan fixtures (testdata/*.plan.json, no
// provider involved): each converts, for linux/arm64 from linux/amd64, to
// the LLB in the .llb.txt beside it.
func TestFixturesGolden(t *testing.T) {
	fixtures, err := filepath.Glob("testdata/*.plan.json")
	if err != nil || len(fixtures) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range fixtures {
		name := strings.TrimSuffix(filepath.Base(f), ".plan.json")
		t.Run(name, func(t *testing.T) {
			p := loadPlan(t, f)
			for _, target := range p.TargetNames() {
				_, def := convert(t, p, options(func(o *llb.Options) { o.Target = target; o.TargetPlatform = arm64 }))
				suffix := ""
				if tg, _ := p.Target(target); !tg.Default {
					suffix = "." + target
				}
				golden.Check(t, filepath.Join("testdata", name+suffix+".llb.txt"), []byte(dump(t, def)))
			}
		})
	}
}

func loadPlan(t testing.TB, path string) *plan.Plan {
	t.Helper()
	dt, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p plan.Plan
	if err := json.Unmarshal(dt, &p); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &p
}
