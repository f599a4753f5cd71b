package golden

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/strata-build/strata/frontend/pipeline"
)

// Plans pins description → plan for every example app matching pattern
// (examples/node-*): testdata/<example>.plan.json in the calling package.
func Plans(t *testing.T, pattern string) {
	dirs, err := filepath.Glob(pattern)
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no examples match %s: %v", pattern, err)
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			p, err := pipeline.PlanDir(context.Background(), dir, "Dockerfile")
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			Check(t, filepath.Join("testdata", name+".plan.json"), append(got, '\n'))
		})
	}
}
