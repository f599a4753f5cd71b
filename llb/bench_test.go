package llb_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	bk "github.com/moby/buildkit/client/llb"

	"github.com/strata-build/strata/frontend/pipeline"
	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/llb"
)

// BenchmarkDescriptionToLLB measures what the frontend does before the
// first solve: parse, detect, plan, convert and marshal the sample app.
func BenchmarkDescriptionToLLB(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(service, "Dockerfile"))
	if err != nil {
		b.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range []string{"go.mod", "go.sum", "cmd/api/main.go"} {
		dt, err := os.ReadFile(filepath.Join(service, f))
		if err != nil {
			b.Fatal(err)
		}
		files[f] = string(dt)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		s, err := pipeline.Parse("Dockerfile", data)
		if err != nil {
			b.Fatal(err)
		}
		p, err := pipeline.Plan(ctx, s, &source.Map{Files: files})
		if err != nil {
			b.Fatal(err)
		}
		res, err := llb.Convert(ctx, p, options())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := res.State.Marshal(ctx, bk.Platform(amd64)); err != nil {
			b.Fatal(err)
		}
	}
}
