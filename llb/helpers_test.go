package llb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/strata-build/strata/frontend/pipeline"
	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/llb"
)

var (
	amd64 = ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = ocispecs.Platform{OS: "linux", Architecture: "arm64"}
	epoch = time.Unix(1700000000, 0).UTC()
)

// fakeImages stands in for the registry: fixed configs, no network.
type fakeImages struct{}

func (fakeImages) Resolve(_ context.Context, ref string, p ocispecs.Platform) (bk.State, *dockerspec.DockerOCIImage, error) {
	img := &dockerspec.DockerOCIImage{}
	img.Architecture, img.OS = p.Architecture, p.OS
	img.RootFS.Type = "layers"
	img.RootFS.DiffIDs = []digest.Digest{digest.FromString(ref)}
	img.History = []ocispecs.History{{CreatedBy: "base " + ref}}
	img.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	img.Config.Cmd = []string{"/bin/sh"}
	if strings.HasPrefix(ref, "golang:") {
		img.Config.Env = []string{"PATH=/go/bin:/usr/local/go/bin:/usr/bin:/bin", "GOPATH=/go", "GOTOOLCHAIN=local"}
		img.Config.WorkingDir = "/go"
	}
	return bk.Image(ref, bk.Platform(p)), img, nil
}

func contextState(f llb.ContextPaths) (bk.State, error) {
	return bk.Local("context", bk.IncludePatterns(f.Include), bk.ExcludePatterns(f.Exclude), bk.SharedKeyHint("context"), bk.SessionID("strata-test")), nil
}

// planDir runs description → plan on a directory of the repository.
func planDir(t testing.TB, dir string) *plan.Plan {
	t.Helper()
	p, err := pipeline.PlanDir(context.Background(), dir, "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func options(mods ...func(*llb.Options)) llb.Options {
	o := llb.Options{
		BuildPlatform:  amd64,
		TargetPlatform: amd64,
		Context:        contextState,
		Images:         fakeImages{},
		Epoch:          &epoch,
	}
	for _, m := range mods {
		m(&o)
	}
	return o
}

func convert(t testing.TB, p *plan.Plan, o llb.Options) (*llb.Result, *bk.Definition) {
	t.Helper()
	res, err := llb.Convert(context.Background(), p, o)
	if err != nil {
		t.Fatal(err)
	}
	def, err := res.State.Marshal(context.Background(), bk.Platform(o.TargetPlatform))
	if err != nil {
		t.Fatal(err)
	}
	return res, def
}

// ops decodes a definition into its ops by digest.
func ops(t testing.TB, def *bk.Definition) map[digest.Digest]*pb.Op {
	t.Helper()
	out := map[digest.Digest]*pb.Op{}
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		out[digest.FromBytes(dt)] = &op
	}
	return out
}

// execWith finds the exec op whose args contain all the words.
func execWith(t testing.TB, all map[digest.Digest]*pb.Op, words ...string) (digest.Digest, *pb.ExecOp) {
	t.Helper()
	for d, op := range all {
		e := op.GetExec()
		if e == nil {
			continue
		}
		args := strings.Join(e.Meta.Args, " ")
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(args, w)
		}
		if ok {
			return d, e
		}
	}
	t.Fatalf("no exec with %q", words)
	return "", nil
}

// dump renders a definition as stable text for golden files: one op per
// line in marshalled order, with its name.
func dump(t testing.TB, def *bk.Definition) string {
	t.Helper()
	var b strings.Builder
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		d := digest.FromBytes(dt)
		js, err := json.Marshal(&op)
		if err != nil {
			t.Fatal(err)
		}
		md := def.Metadata[d]
		names := make([]string, 0, len(md.Description))
		for k, v := range md.Description {
			names = append(names, k+"="+v)
		}
		sort.Strings(names)
		fmt.Fprintf(&b, "%s %s\n  op %s\n", d, strings.Join(names, " "), js)
	}
	return b.String()
}

// writeApp writes a minimal Go app with the given description.
func writeApp(t testing.TB, dir, desc string) {
	t.Helper()
	files := map[string]string{
		"Dockerfile": "# syntax=localhost:5000/strata:dev\n" + desc,
		"go.mod":     "module example.com/app\n\ngo 1.26\n",
		"main.go":    "package main\n\nfunc main() {}\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
