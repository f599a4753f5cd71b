package plan

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/strata-build/strata/frontend/spec"
)

// valid is a small well-formed plan the cases below break one way each.
func valid() *Plan {
	return &Plan{
		Provider: "test",
		Args:     []Arg{{Name: "VERSION", Default: "dev"}},
		Stages: []Stage{
			{Name: "build", From: From{Image: "golang:1.26"}, Platform: BuildPlatform, Steps: []Step{{
				Name: "compile",
				Run: &Run{Args: []Str{Lit("go"), Tmpl("-X v=${VERSION}")}, Mounts: []Mount{
					{Type: BindMount, Target: "/src", From: &Source{Context: &ContextFilter{}}},
					{Type: OutputMount, Target: "/out", Name: "bin"},
				}},
			}}},
			{Name: "runtime", From: From{Image: Scratch}, Platform: TargetPlatform, Steps: []Step{{
				Name: "copy", Copy: &Copy{From: Source{Output: "bin"}, Src: Lit("/app"), Dest: Lit("/app"), Link: true},
			}}},
		},
		Targets: []Target{{Name: "runtime", Stage: "runtime", Default: true, Image: Image{Entrypoint: []Str{Lit("/app")}}}},
	}
}

func TestValidateAcceptsAWellFormedPlan(t *testing.T) {
	if err := valid().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateNamesEveryProblemWithItsPath(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(p *Plan)
		want   string
	}{
		{"no targets", func(p *Plan) { p.Targets = nil }, "targets: no targets"},
		{"run and copy", func(p *Plan) {
			p.Stages[0].Steps[0].Copy = &Copy{Src: Lit("a"), Dest: Lit("b"), From: Source{Stage: "x"}}
		},
			"stages[0] (build).steps[0] (compile): a step needs exactly one of run, copy, file, mkdir and symlink, it has 2"},
		{"no action", func(p *Plan) { p.Stages[1].Steps[0].Copy = nil }, "it has 0"},
		{"args and script", func(p *Plan) { p.Stages[0].Steps[0].Run.Script = Lit("make") }, "exactly one of args (exec form) and script (shell form)"},
		{"duplicate stage", func(p *Plan) { p.Stages[1].Name = "build" }, `a second stage named "build"`},
		{"later stage", func(p *Plan) { p.Stages[0].From = From{Stage: "runtime"} }, `stage "runtime" is not an earlier stage`},
		{"missing output", func(p *Plan) { p.Stages[1].Steps[0].Copy.From.Output = "binary" }, `no earlier step has an output named "binary"`},
		{"own layers of a stage on an image", func(p *Plan) { p.Stages[1].Steps[0].Copy.From = Source{Stage: "build", Own: true} }, "own layers are those of a stage that starts from another stage"},
		{"unknown target stage", func(p *Plan) { p.Targets[0].Stage = "final" }, `no stage named "final"`},
		{"two defaults", func(p *Plan) { p.Targets = append(p.Targets, Target{Name: "b", Stage: "build", Default: true}) }, "2 default targets"},
		{"undeclared template arg", func(p *Plan) { p.Stages[0].Steps[0].Run.Args[1] = Tmpl("${VERSOIN}") }, "names ${VERSOIN}, which the plan does not declare"},
		{"recover without its tmpfs", func(p *Plan) {
			p.Stages[0].Steps[0].Run.Recover = &Recover{Match: []string{"EINTEGRITY"}, Repair: "npm cache verify"}
		}, "a recover needs a match, a repair, an exec-form command and a tmpfs at /run/strata-recover"},
		{"recover without a match", func(p *Plan) {
			Recoverable(p.Stages[0].Steps[0].Run, Recover{Match: []string{""}, Repair: "npm cache verify"})
		}, "stages[0] (build).steps[0] (compile).run.recover: a recover needs a match"},
		{"cache without id", func(p *Plan) {
			p.Stages[0].Steps[0].Run.Mounts = append(p.Stages[0].Steps[0].Run.Mounts, Mount{Type: CacheMount, Target: "/c"})
		}, "a cache mount needs a target and a cache id"},
		{"bad sharing", func(p *Plan) {
			p.Stages[0].Steps[0].Run.Mounts = append(p.Stages[0].Steps[0].Run.Mounts, Mount{Type: CacheMount, Target: "/c", CacheID: "x", Sharing: "exclusive"})
		}, `unknown sharing "exclusive"`},
		{"secret file and env", func(p *Plan) {
			p.Stages[0].Steps[0].Run.Mounts = append(p.Stages[0].Steps[0].Run.Mounts, Mount{Type: SecretMount, ID: "s", Target: "/s", Env: "S"})
		}, "either a target file or an env variable"},
		{"two mounts at one path", func(p *Plan) {
			p.Stages[0].Steps[0].Run.Mounts = append(p.Stages[0].Steps[0].Run.Mounts, Mount{Type: TmpfsMount, Target: "/src"})
		}, "a second mount at /src"},
		{"relative workdir", func(p *Plan) { p.Stages[0].Steps[0].Run.Workdir = "src" }, `"src" is not absolute`},
		{"unknown network", func(p *Plan) { p.Stages[0].Steps[0].Run.Network = "host" }, `unknown network "host"`},
		{"bad platform", func(p *Plan) { p.Stages[0].Platform = "" }, `"" is neither "build" nor "target"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := valid()
			c.mutate(p)
			err := p.Validate()
			var inv *InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("want *InvalidError, got %v", err)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "a Strata bug") || inv.Provider != "test" {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

// DefaultTarget on a plan without targets must never be reached: Validate
// reports it first, and Target("") says no.
func TestNoTargetIsAnErrorNotAPanic(t *testing.T) {
	p := valid()
	p.Targets = nil
	if _, ok := p.Target(""); ok {
		t.Error("Target(\"\") found a target in a plan without any")
	}
	if _, ok := p.WalkTarget(""); ok {
		t.Error("WalkTarget of a plan without targets succeeded")
	}
}

func TestStrExpandsOnlyTemplates(t *testing.T) {
	lookup := func(n string) string { return map[string]string{"V": "1.2", "TARGETVARIANT": "v7"}[n] }
	cases := []struct {
		in   Str
		want string
	}{
		{Lit("echo ${V} $$ ${X:-d}"), "echo ${V} $$ ${X:-d}"},
		{Tmpl("-X main.v=${V} $$HOME"), "-X main.v=1.2 $HOME"},
		{Tmpl("${TARGETVARIANT#v}"), "7"},
	}
	for _, c := range cases {
		if got := c.in.Expand(lookup); got != c.want {
			t.Errorf("%+v expands to %q, want %q", c.in, got, c.want)
		}
	}
	if refs := Lit("${V}").Refs(); refs != nil {
		t.Errorf("a literal has refs %q", refs)
	}
	if refs := Tmpl("${V}-${TARGETARCH}").Refs(); !slices.Equal(refs, []string{"V", "TARGETARCH"}) {
		t.Errorf("refs %q", refs)
	}
}

func TestStrJSONKeepsTheKind(t *testing.T) {
	in := []Str{Lit("go"), Tmpl("${V}"), Lit("")}
	dt, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(dt) != `["go",{"template":"${V}"},""]` {
		t.Errorf("json %s", dt)
	}
	var out []Str
	if err := json.Unmarshal(dt, &out); err != nil || !slices.Equal(out, in) {
		t.Errorf("round trip %+v, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`[{"tmpl":"x"}]`), &out); err == nil {
		t.Error("an object without template decoded")
	}
}

func TestWalkTargetVisitsWhatTheTargetNeeds(t *testing.T) {
	p := valid()
	p.Stages = append(p.Stages, Stage{Name: "test", From: From{Stage: "build"}, Platform: BuildPlatform,
		Steps: []Step{{Name: "test", Run: &Run{Args: Lits("go", "test")}}}})
	p.Targets = append(p.Targets, Target{Name: "test", Stage: "test"})
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	names := func(w Walk) (out []string) {
		for _, s := range w.Stages {
			out = append(out, s.Name)
		}
		return out
	}
	w, _ := p.WalkTarget("")
	if got := names(w); !slices.Equal(got, []string{"build", "runtime"}) {
		t.Errorf("runtime walks %q", got)
	}
	w, _ = p.WalkTarget("test")
	if got := names(w); !slices.Equal(got, []string{"build", "test"}) {
		t.Errorf("test walks %q", got)
	}
	var mounts []string
	for at, m := range p.WalkAll().Mounts() {
		mounts = append(mounts, at.Stage.Name+":"+m.Target)
	}
	if !slices.Equal(mounts, []string{"build:/src", "build:/out"}) {
		t.Errorf("mounts %q", mounts)
	}
}

func TestWalkStrsCoverStageEnvAndSteps(t *testing.T) {
	p := valid()
	p.Stages[0].Env = []Env{{Name: "V", Value: Tmpl("${VERSION}")}}
	var refs []string
	for s := range p.WalkAll().Strs() {
		refs = append(refs, s.Refs()...)
	}
	if !slices.Equal(refs, []string{"VERSION", "VERSION"}) {
		t.Errorf("refs %q: want the stage env's and the compile step's", refs)
	}
}

func TestWriteTextPlacesFindings(t *testing.T) {
	p := valid()
	p.Findings = []Finding{
		{Rule: "InDescription", Message: "a", Pos: spec.Pos{Line: 7, Column: 3}},
		{Rule: "InGoMod", Message: "b", File: "go.mod", Pos: spec.Pos{Line: 3}},
		{Rule: "Nowhere", Message: "c"},
	}
	var b strings.Builder
	if err := p.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"  InDescription (line 7): a\n", "  InGoMod (go.mod line 3): b\n", "  Nowhere: c\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
}
