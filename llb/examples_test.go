package llb_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/strata-build/strata/llb"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// Golden tests pin description → plan and plan → LLB for every example.
func TestExamplesGolden(t *testing.T) {
	dirs, err := filepath.Glob("../examples/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			p := planDir(t, dir, arm64)
			planJSON, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", name+".plan.json"), append(planJSON, '\n'))
			_, def := convert(t, p, options(func(o *llb.Options) { o.TargetPlatform = arm64 }))
			golden(t, filepath.Join("testdata", name+".llb.txt"), []byte(dump(t, def)))
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
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
