package dockerfile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
)

// Every golden Dockerfile is read by BuildKit's own parser and converted to
// LLB by its own Dockerfile frontend, for every target and the default,
// with no lint warning.
func TestGoldensConvertWithBuildKit(t *testing.T) {
	for name, p := range goldens(t) {
		t.Run(name, func(t *testing.T) {
			dt, err := os.ReadFile(filepath.Join("testdata", name+".Dockerfile"))
			if err != nil {
				t.Fatal(err)
			}
			stages := parse(t, dt)
			if last := stages[len(stages)-1].Name; last != p.DefaultTarget().Name {
				t.Errorf("the last stage is %s, want the default target %s", last, p.DefaultTarget().Name)
			}
			for _, target := range append([]string{""}, p.TargetNames()...) {
				if target != "" && !slices.ContainsFunc(stages, func(s instructions.Stage) bool { return s.Name == target }) {
					t.Errorf("no stage for target %s", target)
				}
				convert(t, dt, target, nil)
			}
		})
	}
}

func parse(t testing.TB, dt []byte) []instructions.Stage {
	t.Helper()
	ast, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		t.Fatal(err)
	}
	if len(ast.Warnings) > 0 {
		t.Errorf("parser warnings: %v", ast.Warnings)
	}
	stages, _, err := instructions.Parse(ast.AST, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(stages) == 0 {
		t.Fatal("no stages")
	}
	return stages
}

// convert runs the Dockerfile frontend's converter as on a daemon (all LLB
// capabilities), with base images resolved by fakeImages, and returns the
// target's ops and image config.
func convert(t testing.TB, dt []byte, target string, buildArgs map[string]string) ([]*pb.Op, *dockerspec.DockerOCIImage) {
	t.Helper()
	caps := pb.Caps.CapSet(pb.Caps.All())
	var warnings []string
	res, err := dockerfile2llb.Dockerfile2LLB(context.Background(), dt, dockerfile2llb.ConvertOpt{
		Config:       dockerui.Config{Target: target, BuildArgs: buildArgs},
		MetaResolver: fakeImages{},
		LLBCaps:      &caps,
		Warn: func(rule, _, _, msg string, _ []parser.Range) {
			warnings = append(warnings, rule+": "+msg)
		},
	})
	if err != nil {
		t.Fatalf("target %q: %v", target, err)
	}
	if len(warnings) > 0 {
		t.Errorf("target %q: lint warnings:\n  %s", target, strings.Join(warnings, "\n  "))
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

// fakeImages stands in for the registry: every image has a root filesystem
// and the PATH of the images Strata uses.
type fakeImages struct{}

func (fakeImages) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	img := dockerspec.DockerOCIImage{}
	img.OS, img.Architecture = "linux", "amd64"
	img.RootFS.Type = "layers"
	img.RootFS.DiffIDs = []digest.Digest{digest.FromString(ref)}
	img.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	dt, err := json.Marshal(img)
	return ref, "", dt, err
}

// execs lists the converted RUN steps by their script.
func execs(ops []*pb.Op) []*pb.ExecOp {
	var out []*pb.ExecOp
	for _, op := range ops {
		if e := op.GetExec(); e != nil {
			out = append(out, e)
		}
	}
	return out
}

func execWith(t testing.TB, ops []*pb.Op, part string) *pb.ExecOp {
	t.Helper()
	var scripts []string
	for _, e := range execs(ops) {
		script := strings.Join(e.Meta.Args, " ")
		if strings.Contains(script, part) {
			return e
		}
		scripts = append(scripts, script)
	}
	t.Fatalf("no RUN with %q among:\n%s", part, strings.Join(scripts, "\n"))
	return nil
}

var _ = fmt.Sprint
var _ = llb.Scratch
