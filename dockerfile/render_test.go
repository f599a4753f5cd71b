package dockerfile_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-build/strata/dockerfile"
	"github.com/strata-build/strata/frontend/pipeline"
	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/source"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// goldens are the plans pinned as Dockerfiles: every example app and the
// apps in testdata/apps (description → plan → Dockerfile), and the
// hand-written fixture that uses every plan feature.
func goldens(t *testing.T) map[string]*plan.Plan {
	t.Helper()
	dirs, err := filepath.Glob("../examples/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	apps, _ := filepath.Glob("testdata/apps/*")
	out := map[string]*plan.Plan{"features": loadPlan(t, "../llb/testdata/features.plan.json")}
	for _, dir := range append(dirs, apps...) {
		out[filepath.Base(dir)] = planDir(t, dir)
	}
	return out
}

func TestGolden(t *testing.T) {
	for name, p := range goldens(t) {
		t.Run(name, func(t *testing.T) {
			got, err := dockerfile.Render(p, dockerfile.Options{File: "Dockerfile"})
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", name+".Dockerfile"), got)
		})
	}
}

func planDir(t testing.TB, dir string) *plan.Plan {
	t.Helper()
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
	return p
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
		t.Fatalf("%v (run go test ./dockerfile -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the golden file; if the change is intended, run go test ./dockerfile -update and review the diff:\n%s", path, firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the first line that differs.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n  want " + wl + "\n  got  " + gl
		}
	}
	return ""
}
