package llb_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/llb"
)

var update = flag.Bool("update", false, "rewrite the golden files")

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
				golden(t, filepath.Join("testdata", name+suffix+".llb.txt"), []byte(dump(t, def)))
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

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./llb -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the golden file; if the change is intended, run go test ./llb -update and review the diff", path)
	}
}
