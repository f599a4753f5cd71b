package node_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/strata-build/strata/frontend/pipeline"
	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/internal/golden"
)

// Golden tests pin description → plan for every Node example app.
func TestExamplesGolden(t *testing.T) {
	dirs, err := filepath.Glob("../../../examples/node-*")
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
			golden.Check(t, filepath.Join("testdata", name+".plan.json"), append(got, '\n'))
		})
	}
}
