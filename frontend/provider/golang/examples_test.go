package golang_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/strata-build/strata/frontend/pipeline"
	"github.com/strata-build/strata/frontend/source"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// Golden tests pin description → plan for every Go example app.
func TestExamplesGolden(t *testing.T) {
	dirs, err := filepath.Glob("../../../examples/go-*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
			if err != nil {
				t.Fatal(err)
			}
			s, err := pipeline.Parse("Dockerfile", data)
			if err != nil {
				t.Fatal(err)
			}
			p, err := pipeline.Plan(context.Background(), s, source.Dir(dir))
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", name+".plan.json"), append(got, '\n'))
		})
	}
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
		t.Fatalf("%v (run go test ./frontend/provider/golang -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the golden file; if the change is intended, run go test ./frontend/provider/golang -update and review the diff", path)
	}
}
