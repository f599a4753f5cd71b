package dockerfile_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/strata-build/strata/dockerfile"
	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/llb"
)

// shellPlan has one step per quoting case; each prints what its command
// received, so the plan's LLB and the Dockerfile's can be run on this
// machine's /bin/sh and compared.
func shellPlan(dir string) *plan.Plan {
	show := `printf '[%s]\n'`
	return &plan.Plan{
		Provider: "test",
		Args:     []plan.Arg{{Name: "VERSION", Default: "v1.2"}, {Name: "EMPTY"}, {Name: "PT", PassThrough: true}},
		Stages: []plan.Stage{{
			Name: "s", From: plan.From{Image: "debian"}, Platform: plan.BuildPlatform,
			Steps: []plan.Step{
				{Name: "exec words", Run: &plan.Run{Args: []plan.Str{
					plan.Lit("printf"), plan.Lit(`[%s]\n`), plan.Lit(`$HOME lit'q"`), plan.Tmpl("-X main.v=${VERSION}"),
					plan.Tmpl("$${VERSION}"), plan.Tmpl("${VERSION#v}"), plan.Lit(""), plan.Tmpl("a b $$ c`x` \\ \""),
					plan.Lit("two\nlines"), plan.Tmpl("${VERSION#*}"),
				}}},
				{Name: "exec env", Run: &plan.Run{
					Args: plan.Lits("sh", "-c", show+` "${K1-unset}" "${K2-unset}" "${PT-unset}" "${E-unset}" "$(pwd)"`),
					Env: []plan.Env{
						{Name: "K1", Value: plan.Lit("$lit 'q'")},
						{Name: "K2", Value: plan.Tmpl("${VERSION}-x"), IfSet: true},
						{Name: "PT", Value: plan.Tmpl("${PT}"), IfSet: true},
						{Name: "E", Value: plan.Tmpl("${EMPTY}"), IfSet: true},
					},
					Workdir: dir,
				}},
				{Name: "literal script", Run: &plan.Run{
					Script: plan.Lit(`x='$HOME'; ` + show + ` "$x" "${UNSET:-dflt}" '\n' "a\\b" $$$$ | tr -d 0-9`),
				}},
				{Name: "template script", Run: &plan.Run{
					Script: plan.Tmpl(show + ` ${VERSION} "$${HOME}" '$$keep' "${VERSION#v}"`),
					Env:    []plan.Env{{Name: "HOME", Value: plan.Lit("/home/x")}},
				}},
				{Name: "args in single quotes", Run: &plan.Run{Script: plan.Tmpl(show + ` '${VERSION}' "it's"`)}},
				{Name: "shebang", Run: &plan.Run{Script: plan.Lit("#!/bin/false\n" + show + " one\n" + show + " two \\\n  three\ncat <<EOF\nfour\nEOF")}},
			},
		}},
		Targets: []plan.Target{{Name: "s", Stage: "s"}},
	}
}

// A literal reaches the shell exactly as written and a template's ${NAME}
// is expanded by the Dockerfile from its ARG, as Strata expands it: the
// plan's LLB and the Dockerfile's RUN steps print the same words.
func TestShellMatchesLLB(t *testing.T) {
	p := shellPlan(t.TempDir())
	df, err := dockerfile.Render(p, dockerfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Dockerfile:\n%s", df)
	for _, args := range []map[string]string{
		nil,
		{"VERSION": "v2.0", "PT": "proxy"},
	} {
		fromLLB := runAll(t, llbExecs(t, p, args))
		ops, _ := convert(t, df, "", args)
		fromDockerfile := runAll(t, execs(ops))
		if len(fromLLB) != len(fromDockerfile) {
			t.Fatalf("%d steps from LLB, %d from the Dockerfile", len(fromLLB), len(fromDockerfile))
		}
		for i := range fromLLB {
			if fromLLB[i] != fromDockerfile[i] {
				t.Errorf("args %v, %s:\nLLB:        %q\nDockerfile: %q", args, p.Stages[0].Steps[i].Name, fromLLB[i], fromDockerfile[i])
			}
		}
	}
}

// Exec-form words are exact for any value, shell syntax included.
func TestExecWordsKeepAnyValue(t *testing.T) {
	p := shellPlan(t.TempDir())
	p.Stages[0].Steps = p.Stages[0].Steps[:2]
	df, err := dockerfile.Render(p, dockerfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	args := map[string]string{"VERSION": `v9 'x' $y "z" \ *`, "PT": "$(false)"}
	ops, _ := convert(t, df, "", args)
	want, got := runAll(t, llbExecs(t, p, args)), runAll(t, execs(ops))
	if strings.Join(want, "|") != strings.Join(got, "|") {
		t.Errorf("LLB:        %q\nDockerfile: %q", want, got)
	}
}

func runAll(t *testing.T, execs []*pb.ExecOp) []string {
	t.Helper()
	var out []string
	for _, e := range execs {
		cmd := exec.Command(e.Meta.Args[0], e.Meta.Args[1:]...)
		cmd.Env = e.Meta.Env
		cmd.Dir = e.Meta.Cwd
		dt, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%q: %v\n%s", e.Meta.Args, err, dt)
		}
		out = append(out, string(dt))
	}
	return out
}

// llbConvert converts the plan with Strata's own renderer.
func llbConvert(t *testing.T, p *plan.Plan, args map[string]string) ([]*pb.Op, *dockerspec.DockerOCIImage) {
	t.Helper()
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	res, err := llb.Convert(context.Background(), p, llb.Options{
		BuildPlatform: amd64, TargetPlatform: amd64, BuildArgs: args, Images: pathImages{},
		Context: func(llb.ContextPaths) (bk.State, error) { return bk.Local("context"), nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	def, err := res.State.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ops []*pb.Op
	for _, b := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(b); err != nil {
			t.Fatal(err)
		}
		ops = append(ops, &op)
	}
	return ops, res.Image
}

func llbExecs(t *testing.T, p *plan.Plan, args map[string]string) []*pb.ExecOp {
	t.Helper()
	ops, _ := llbConvert(t, p, args)
	return execs(ops)
}

// pathImages gives every image the same PATH as fakeImages.
type pathImages struct{}

func (pathImages) Resolve(_ context.Context, ref string, p ocispecs.Platform) (bk.State, *dockerspec.DockerOCIImage, error) {
	img := &dockerspec.DockerOCIImage{}
	img.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	return bk.Image(ref, bk.Platform(p)), img, nil
}
