package dockerfile_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/strata-build/strata/dockerfile"
	"github.com/strata-build/strata/frontend/plan"
)

func stagesPlan(targets ...plan.Target) *plan.Plan {
	copyBin := plan.Step{Name: "copy", Copy: &plan.Copy{From: plan.Source{Stage: "base"}, Src: plan.Lit("/bin/sh"), Dest: plan.Lit("/sh")}}
	return &plan.Plan{
		Provider: "test",
		Stages: []plan.Stage{
			{Name: "base", From: plan.From{Image: "debian"}, Platform: plan.TargetPlatform},
			{Name: "app", From: plan.From{Stage: "base"}, Platform: plan.TargetPlatform},
			{Name: "extra", From: plan.From{Image: plan.Scratch}, Platform: plan.TargetPlatform, Steps: []plan.Step{copyBin}},
		},
		Targets: targets,
	}
}

func stageNames(t *testing.T, p *plan.Plan) ([]string, string) {
	t.Helper()
	df, err := dockerfile.Render(p, dockerfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range parse(t, df) {
		names = append(names, s.Name)
	}
	for _, target := range p.TargetNames() {
		convert(t, df, target, nil)
	}
	return names, string(df)
}

// Each target is a stage --target builds, its config never leaks into a
// stage built FROM it, and the default target is the last stage.
func TestTargetsBecomeStages(t *testing.T) {
	img := plan.Image{Entrypoint: plan.Lits("/bin/app")}
	for _, c := range []struct {
		name    string
		targets []plan.Target
		want    []string
	}{
		{"in its own stage", []plan.Target{{Name: "extra", Stage: "extra", Default: true, Image: img}},
			[]string{"base", "app", "extra"}},
		{"alias when names differ", []plan.Target{{Name: "image", Stage: "app", Image: img}, {Name: "extra", Stage: "extra", Default: true}},
			[]string{"base", "app", "image", "extra"}},
		{"default last", []plan.Target{{Name: "app", Stage: "app", Default: true, Image: img}, {Name: "extra", Stage: "extra"}},
			[]string{"base", "app-stage", "extra", "app"}},
		{"stage built from the target is renamed", []plan.Target{{Name: "base", Stage: "base", Image: img}, {Name: "extra", Stage: "extra", Default: true}},
			[]string{"base-stage", "base", "app", "extra"}},
		{"a stage named as another target's alias is renamed", []plan.Target{{Name: "extra", Stage: "app", Default: true}},
			[]string{"base", "app", "extra-stage", "extra"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, df := stageNames(t, stagesPlan(c.targets...))
			if !slices.Equal(got, c.want) {
				t.Errorf("stages %q, want %q\n%s", got, c.want, df)
			}
			if strings.Count(df, "ENTRYPOINT") > 1 {
				t.Errorf("config written twice:\n%s", df)
			}
		})
	}
}

func TestNamesMustBeStageNames(t *testing.T) {
	p := stagesPlan(plan.Target{Name: "Image", Stage: "app"})
	if _, err := dockerfile.Render(p, dockerfile.Options{}); err == nil || !strings.Contains(err.Error(), `target "Image" is not a Dockerfile stage name`) {
		t.Errorf("err = %v", err)
	}
}

// A plan stage that is copied from keeps its name where a target's alias
// does not need it, so COPY --from names what the plan names.
func TestCopyFromRenamedStage(t *testing.T) {
	_, df := stageNames(t, stagesPlan(plan.Target{Name: "base", Stage: "base", Image: plan.Image{WorkingDir: "/w"}}, plan.Target{Name: "extra", Stage: "extra", Default: true}))
	if !strings.Contains(df, "COPY --from=base-stage /bin/sh /sh") {
		t.Errorf("copy does not name the renamed stage:\n%s", df)
	}
}
