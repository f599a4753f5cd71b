package llb_test

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/strata-build/strata/frontend/spec"
	"github.com/strata-build/strata/llb"
)

const service = "../examples/go-service"

// The same description must always give byte-identical LLB.
func TestDeterministic(t *testing.T) {
	for _, target := range []string{"", "build", "test"} {
		var first *bk.Definition
		for i := 0; i < 5; i++ {
			p := planDir(t, service)
			_, def := convert(t, p, options(func(o *llb.Options) {
				o.Target = target
				o.TargetPlatform = arm64
				o.BuildArgs = map[string]string{"VERSION": "1.2.3", "GOPROXY": "https://proxy.example"}
				o.Labels = map[string]string{"b": "2", "a": "1"}
			}))
			if first == nil {
				first = def
				continue
			}
			if len(def.Def) != len(first.Def) {
				t.Fatalf("target %q: %d ops, then %d", target, len(first.Def), len(def.Def))
			}
			for j := range def.Def {
				if !bytes.Equal(def.Def[j], first.Def[j]) {
					t.Fatalf("target %q: op %d differs between two conversions", target, j)
				}
			}
		}
	}
}

// dependents returns every op that (transitively) consumes root.
func dependents(all map[digest.Digest]*pb.Op, root digest.Digest) map[digest.Digest]bool {
	out := map[digest.Digest]bool{root: true}
	for changed := true; changed; {
		changed = false
		for d, op := range all {
			if out[d] {
				continue
			}
			for _, in := range op.Inputs {
				if out[digest.Digest(in.Digest)] {
					out[d], changed = true, true
					break
				}
			}
		}
	}
	return out
}

// A --build-arg that feeds the compile step must leave every op before it
// byte-identical, the download step first of all.
func TestBuildArgReachesOnlyCompile(t *testing.T) {
	p := planDir(t, service)
	_, defA := convert(t, p, options(func(o *llb.Options) { o.BuildArgs = map[string]string{"VERSION": "a"} }))
	_, defB := convert(t, p, options(func(o *llb.Options) { o.BuildArgs = map[string]string{"VERSION": "b"} }))
	opsA, opsB := ops(t, defA), ops(t, defB)

	dlA, _ := execWith(t, opsA, "go mod download")
	dlB, _ := execWith(t, opsB, "go mod download")
	if dlA != dlB {
		t.Errorf("download step changed with VERSION: %s vs %s", dlA, dlB)
	}
	compileA, execA := execWith(t, opsA, "go build")
	if !strings.Contains(strings.Join(execA.Meta.Args, " "), "-X main.version=a") {
		t.Errorf("compile args %q do not carry VERSION", execA.Meta.Args)
	}
	after := dependents(opsA, compileA)
	changed := 0
	for d := range opsA {
		if _, same := opsB[d]; same {
			continue
		}
		changed++
		if !after[d] {
			t.Errorf("op %s changed with VERSION but does not depend on the compile step", d)
		}
	}
	if changed == 0 {
		t.Error("VERSION changed nothing: the arg is not applied")
	}
	for d := range opsA {
		if !after[d] {
			if _, ok := opsB[d]; !ok {
				t.Errorf("op %s before the compile step differs", d)
			}
		}
	}
}

// An arg that only reaches run.env goes into the image config alone.
func TestRuntimeOnlyArgInvalidatesNothing(t *testing.T) {
	dir := t.TempDir()
	writeApp(t, dir, "args:\n  MODE: a\nrun:\n  env: {APP_MODE: \"${MODE}\"}\n")
	p := planDir(t, dir)
	resA, defA := convert(t, p, options(func(o *llb.Options) { o.BuildArgs = map[string]string{"MODE": "x"} }))
	resB, defB := convert(t, p, options(func(o *llb.Options) { o.BuildArgs = map[string]string{"MODE": "y"} }))
	if !slices.EqualFunc(defA.Def, defB.Def, bytes.Equal) {
		t.Error("an arg used only in run.env changed the LLB")
	}
	if !slices.Contains(resA.Image.Config.Env, "APP_MODE=x") || !slices.Contains(resB.Image.Config.Env, "APP_MODE=y") {
		t.Errorf("image env: %q / %q", resA.Image.Config.Env, resB.Image.Config.Env)
	}
}

func TestCompileStep(t *testing.T) {
	p := planDir(t, service)
	_, def := convert(t, p, options(func(o *llb.Options) {
		o.TargetPlatform = arm64
		o.CacheNS = "team1"
		o.BuildArgs = map[string]string{"GOPROXY": "https://proxy.example"}
	}))
	all := ops(t, def)
	_, e := execWith(t, all, "go build")
	envs := e.Meta.Env
	for _, want := range []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "GOMODCACHE=/go/pkg/mod", "GOCACHE=/root/.cache/go-build", "GOPROXY=https://proxy.example", "GOPATH=/go"} {
		if !slices.Contains(envs, want) {
			t.Errorf("compile env lacks %s: %q", want, envs)
		}
	}
	for _, e := range envs {
		if strings.HasPrefix(e, "GOPRIVATE=") {
			t.Errorf("unset pass-through arg was set: %s", e)
		}
	}
	mounts := map[string]*pb.Mount{}
	for _, m := range e.Mounts {
		mounts[m.Dest] = m
	}
	if m := mounts["/go/pkg/mod"]; m == nil || m.MountType != pb.MountType_CACHE || m.CacheOpt.ID != "team1/strata/go/mod" || m.CacheOpt.Sharing != pb.CacheSharingOpt_SHARED {
		t.Errorf("module cache mount = %v", m)
	}
	if m := mounts["/root/.cache/go-build"]; m == nil || m.CacheOpt.ID != "team1/strata/go/build" {
		t.Errorf("build cache mount = %v", m)
	}
	if m := mounts["/src"]; m == nil || !m.Readonly || m.MountType != pb.MountType_BIND {
		t.Errorf("source must be a read-only bind mount: %v", m)
	}
	if m := mounts["/out"]; m == nil || m.Output < 0 {
		t.Errorf("binary output mount = %v", m)
	}
	if m := mounts["/root/.netrc"]; m == nil || m.MountType != pb.MountType_SECRET || !m.SecretOpt.Optional {
		t.Errorf("netrc secret = %v", m)
	}
	// the build runs on the build platform: no emulation
	for d, op := range all {
		if op.GetExec() != nil && op.Platform.Architecture != "amd64" {
			t.Errorf("exec %s runs on %s", d, op.Platform.Architecture)
		}
	}
}

// Runtime layers are copied onto scratch and merged (COPY --link).
func TestRuntimeLayersAreLinked(t *testing.T) {
	p := planDir(t, service)
	res, def := convert(t, p, options())
	all := ops(t, def)
	merges, scratchCopies := 0, 0
	for _, op := range all {
		if m := op.GetMerge(); m != nil {
			merges++
		}
		if f := op.GetFile(); f != nil && f.Actions[0].GetCopy() != nil && f.Actions[0].Input == -1 {
			scratchCopies++
		}
	}
	if merges != 2 || scratchCopies != 2 {
		t.Errorf("want 2 merges of 2 scratch copies (binary, migrations), got %d and %d", merges, scratchCopies)
	}
	img := res.Image
	if got := img.Config.Entrypoint; !slices.Equal(got, []string{"/app/api"}) {
		t.Errorf("entrypoint %q", got)
	}
	if got := img.Config.Cmd; !slices.Equal(got, []string{"serve"}) {
		t.Errorf("cmd %q (the base image's must not leak)", got)
	}
	if img.Config.User != "65532:65532" || img.Config.WorkingDir != "/app" {
		t.Errorf("user %q workdir %q", img.Config.User, img.Config.WorkingDir)
	}
	if _, ok := img.Config.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("ports %v", img.Config.ExposedPorts)
	}
	if !slices.Contains(img.Config.Env, "GIN_MODE=release") || !strings.HasPrefix(img.Config.Env[0], "PATH=") {
		t.Errorf("env %q", img.Config.Env)
	}
	if img.Config.Labels["org.opencontainers.image.title"] != "api" || img.Config.Labels["org.opencontainers.image.base.name"] != "gcr.io/distroless/static-debian12" {
		t.Errorf("labels %v", img.Config.Labels)
	}
	// base history, then one entry per layer Strata added: the working
	// directory that unpacks the base, then the linked copies
	if len(img.History) != 4 || img.History[1].CreatedBy != "WORKDIR /app" || !strings.Contains(img.History[2].CreatedBy, "COPY --link /api /app/api") || !strings.Contains(img.History[3].CreatedBy, "/app/migrations") {
		t.Errorf("history %+v", img.History)
	}
	for _, h := range img.History[1:] {
		if h.Created == nil || !h.Created.Equal(epoch) || h.EmptyLayer {
			t.Errorf("history entry %+v", h)
		}
	}
	if img.Created == nil || !img.Created.Equal(epoch) {
		t.Errorf("created %v", img.Created)
	}
	if res.BaseImage == nil || res.BaseImage.History[0].CreatedBy != "base gcr.io/distroless/static-debian12" {
		t.Errorf("base image %+v", res.BaseImage)
	}
}

func TestTargets(t *testing.T) {
	p := planDir(t, service)
	_, def := convert(t, p, options(func(o *llb.Options) { o.Target = "test" }))
	all := ops(t, def)
	execWith(t, all, "go test ./...")
	for _, op := range all {
		if src := op.GetSource(); src != nil && strings.Contains(src.Identifier, "distroless") {
			t.Error("the test target pulls the runtime base")
		}
	}
	res, def := convert(t, p, options(func(o *llb.Options) { o.Target = "build" }))
	execWith(t, ops(t, def), "go build")
	if res.Image.Config.WorkingDir != "/src" || !slices.Contains(res.Image.Config.Env, "GOPATH=/go") {
		t.Errorf("build target config %+v", res.Image.Config)
	}
	_, err := llb.Convert(context.Background(), p, options(func(o *llb.Options) { o.Target = "tset" }))
	if err == nil || !strings.Contains(err.Error(), "did you mean `test`?") {
		t.Errorf("unknown target: %v", err)
	}
}

func TestNoCache(t *testing.T) {
	p := planDir(t, service)
	_, def := convert(t, p, options(func(o *llb.Options) { o.NoCache = func(stage string) bool { return stage == "build" } }))
	all := ops(t, def)
	dl, _ := execWith(t, all, "go mod download")
	compile, _ := execWith(t, all, "go build")
	if def.Metadata[dl].IgnoreCache || !def.Metadata[compile].IgnoreCache {
		t.Errorf("no-cache of stage build: download %v, compile %v", def.Metadata[dl].IgnoreCache, def.Metadata[compile].IgnoreCache)
	}
}

// Steps carry the description line that asked for them, so a failing
// compile points at `main:` in the Dockerfile.
func TestStepLocations(t *testing.T) {
	p := planDir(t, service)
	data := []byte("x")
	sm := bk.NewSourceMap(nil, "Dockerfile", "YAML", data)
	_, def := convert(t, p, options(func(o *llb.Options) { o.SourceMap = sm }))
	compile, _ := execWith(t, ops(t, def), "go build")
	locs := def.Source.Locations[string(compile)]
	if locs == nil || len(locs.Locations) == 0 || locs.Locations[0].Ranges[0].Start.Line != 4 {
		t.Errorf("compile step location = %v", locs)
	}
}

// Proxy args reach every step but not the cache key; unknown args are named.
func TestProxyAndUnusedArgs(t *testing.T) {
	p := planDir(t, service)
	_, plain := convert(t, p, options())
	_, proxied := convert(t, p, options(func(o *llb.Options) {
		o.BuildArgs = map[string]string{"HTTPS_PROXY": "http://proxy:3128", "no_proxy": "localhost"}
	}))
	_, e := execWith(t, ops(t, proxied), "go mod download")
	if e.Meta.ProxyEnv == nil || e.Meta.ProxyEnv.HttpsProxy != "http://proxy:3128" || e.Meta.ProxyEnv.NoProxy != "localhost" {
		t.Errorf("proxy env = %v", e.Meta.ProxyEnv)
	}
	if len(plain.Def) != len(proxied.Def) {
		t.Fatal("proxy args changed the graph")
	}
	got := llb.UnusedArgs(p, map[string]string{"VERSION": "1", "VERSOIN": "2", "GOPROXY": "x", "HTTP_PROXY": "y", "BUILDKIT_INLINE_CACHE": "1", "TARGETARCH": "z"})
	if !slices.Equal(got, []string{"VERSOIN"}) {
		t.Errorf("unused args = %q", got)
	}
}

type missingImages struct{ fakeImages }

func (m missingImages) Resolve(ctx context.Context, ref string, p ocispecs.Platform) (bk.State, *dockerspec.DockerOCIImage, error) {
	if strings.Contains(ref, "distroles") {
		return bk.State{}, nil, errors.New("not found")
	}
	return m.fakeImages.Resolve(ctx, ref, p)
}

// An image that cannot be resolved is reported at the line that named it.
func TestUnresolvableImageNamesTheLine(t *testing.T) {
	dir := t.TempDir()
	writeApp(t, dir, "run:\n  base: gcr.io/distroless/statc-distroles\n")
	p := planDir(t, dir)
	_, err := llb.Convert(context.Background(), p, options(func(o *llb.Options) { o.Images = missingImages{} }))
	var se *spec.Error
	if !errors.As(err, &se) || se.Key != "run.base" || se.Pos.Line != 3 || !strings.Contains(se.Msg, "not found") || !strings.Contains(se.Hint, "--build-context") {
		t.Errorf("err = %v", err)
	}
}

// ${NAME} works in paths too: the copied path, its include pattern and dest.
func TestArgsInPaths(t *testing.T) {
	dir := t.TempDir()
	writeApp(t, dir, "args:\n  ASSETS: static\nrun:\n  copy: [\"${ASSETS}\"]\n")
	p := planDir(t, dir)
	_, def := convert(t, p, options(func(o *llb.Options) { o.BuildArgs = map[string]string{"ASSETS": "public"} }))
	var includes []string
	var copied *pb.FileActionCopy
	for _, op := range ops(t, def) {
		if src := op.GetSource(); src != nil && strings.HasPrefix(src.Identifier, "local://") && src.Attrs["local.includepattern"] != "" {
			includes = append(includes, src.Attrs["local.includepattern"])
		}
		if f := op.GetFile(); f != nil && f.Actions[0].GetCopy() != nil && strings.Contains(f.Actions[0].GetCopy().Dest, "public") {
			copied = f.Actions[0].GetCopy()
		}
	}
	if !slices.Contains(includes, `["public"]`) {
		t.Errorf("include patterns %q", includes)
	}
	if copied == nil || copied.Src != "/public" && copied.Src != "public" || copied.Dest != "/app/public" {
		t.Errorf("copy %+v", copied)
	}
}

// Every example gives the same LLB on every run, for each target platform:
// planning and conversion depend on nothing but their inputs (no map
// order, no clock, not the machine's architecture).
func TestDeterministicExamples(t *testing.T) {
	dirs, err := filepath.Glob("../examples/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			digests := map[string]digest.Digest{}
			for run := 0; run < 3; run++ {
				p := planDir(t, dir)
				for _, target := range append([]string{""}, p.TargetNames()...) {
					for _, pl := range []ocispecs.Platform{amd64, arm64} {
						_, def := convert(t, p, options(func(o *llb.Options) {
							o.Target = target
							o.TargetPlatform = pl
							o.BuildArgs = map[string]string{"B": "2", "A": "1"}
						}))
						h := digest.FromBytes(bytes.Join(def.Def, []byte{0}))
						key := target + "/" + pl.Architecture
						if prev, ok := digests[key]; ok && prev != h {
							t.Fatalf("%s: run %d gave %s, an earlier run %s", key, run, h, prev)
						}
						digests[key] = h
					}
				}
			}
			if digests["/amd64"] == digests["/arm64"] {
				t.Errorf("amd64 and arm64 give the same LLB: the target platform is not in it")
			}
		})
	}
}

// The stages a plan marks for the SBOM come with the result, as their
// final state (the download step done): the scanner reads them beside the
// image. --no-cache of a scanned stage reaches its scan.
func TestScannedStages(t *testing.T) {
	p := planDir(t, service)
	res, _ := convert(t, p, options())
	if len(res.Scans) != 1 {
		t.Fatalf("scans %v, want the deps stage only", slices.Collect(maps.Keys(res.Scans)))
	}
	def, err := res.Scans["deps"].Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, ex := execWith(t, ops(t, def), "go mod download"); ex == nil {
		t.Error("the scanned deps state is not the stage after its download")
	}
	if res.IgnoreCache {
		t.Error("a plain build ignores the cache of its scans")
	}
	res, _ = convert(t, p, options(func(o *llb.Options) { o.NoCache = func(s string) bool { return s == "deps" } }))
	if !res.IgnoreCache {
		t.Error("--no-cache-filter deps still takes the deps scan from cache")
	}
}

// Every step names the description and the plan record as sources (with
// no range when no line asked for it), so provenance records both.
func TestEveryStepNamesItsSources(t *testing.T) {
	p := planDir(t, service)
	desc := bk.NewSourceMap(nil, "Dockerfile", "YAML", []byte("x"))
	rec := bk.NewSourceMap(nil, "strata.plan.json", "JSON", []byte("{}"))
	_, def := convert(t, p, options(func(o *llb.Options) { o.SourceMap, o.Record = desc, rec }))
	if len(def.Source.Infos) != 2 || def.Source.Infos[0].Filename != "Dockerfile" || def.Source.Infos[1].Filename != "strata.plan.json" {
		t.Fatalf("sources %v", def.Source.Infos)
	}
	dl, _ := execWith(t, ops(t, def), "go mod download")
	locs := def.Source.Locations[string(dl)]
	if locs == nil || len(locs.Locations) != 2 {
		t.Fatalf("download step locations %v", locs)
	}
	for _, l := range locs.Locations {
		if len(l.Ranges) != 0 {
			t.Errorf("the download step, which no line asked for, has a range: %v", l)
		}
	}
}

// barrierImages answers no resolve until n of them are waiting at once, or
// fails them when they come one at a time.
type barrierImages struct {
	fakeImages
	n       int
	arrived chan struct{}
	all     chan struct{}
	once    *sync.Once
}

func (b barrierImages) Resolve(ctx context.Context, ref string, p ocispecs.Platform) (bk.State, *dockerspec.DockerOCIImage, error) {
	b.arrived <- struct{}{}
	if len(b.arrived) >= b.n {
		b.once.Do(func() { close(b.all) })
	}
	select {
	case <-b.all:
		return b.fakeImages.Resolve(ctx, ref, p)
	case <-time.After(2 * time.Second):
		return bk.State{}, nil, errors.New("resolved one at a time")
	}
}

// Every base image of the target is resolved at once: each resolve is a
// round trip to the daemon that waits on no other.
func TestBaseImagesResolveAtOnce(t *testing.T) {
	p := planDir(t, service) // golang and distroless
	images := barrierImages{n: 2, arrived: make(chan struct{}, 64), all: make(chan struct{}), once: &sync.Once{}}
	if _, err := llb.Convert(context.Background(), p, options(func(o *llb.Options) { o.Images = images })); err != nil {
		t.Fatal(err)
	}
}

// A copy from a stage's own layers reads a diff of that stage over the
// stage it starts from: the runtime's copy of a built Node app mounts and
// checksums the source and the build's output, not node_modules and the
// builder's root filesystem.
func TestOwnLayersCopyFromTheStagesDiff(t *testing.T) {
	p := planDir(t, "../examples/node-express")
	_, def := convert(t, p, options())
	all := ops(t, def)
	var diff *pb.Op
	var copyInputs []*pb.Op
	for _, op := range all {
		if op.GetDiff() != nil {
			if diff != nil {
				t.Fatal("more than one diff")
			}
			diff = op
		}
		if f := op.GetFile(); f != nil && len(f.Actions) == 1 && f.Actions[0].GetCopy() != nil &&
			f.Actions[0].GetCopy().Src == "/app" && slices.Contains(f.Actions[0].GetCopy().ExcludePatterns, "node_modules") {
			for _, in := range op.Inputs {
				copyInputs = append(copyInputs, all[digest.Digest(in.Digest)])
			}
		}
	}
	if diff == nil || !slices.Contains(copyInputs, diff) {
		t.Fatalf("the runtime's copy of the app reads %v, not a diff", copyInputs)
	}
	input := func(i int64) *pb.Op { return all[digest.Digest(diff.Inputs[i].Digest)] }
	_, build := execWith(t, all, "npm run build")
	if up := input(diff.GetDiff().Upper.Input); up.GetExec() != build {
		t.Errorf("the diff's upper is %v, not the build step", up)
	}
	if low := input(diff.GetDiff().Lower.Input); low.GetExec() == nil || !strings.Contains(strings.Join(low.GetExec().Meta.Args, " "), "npm ci") {
		t.Errorf("the diff's lower is %v, not the install", low)
	}
}

// A runtime of linked layers alone starts with a mkdir of its working
// directory on the base image, so the base is unpacked: a lazy base is
// left out of a local cache export made beside a push. Nothing else gets
// one: not scratch, not a stage whose first step unpacks the base anyway.
func TestLinkedRuntimeUnpacksItsBase(t *testing.T) {
	mkdirs := func(def *bk.Definition) (onImage, total int) {
		all := ops(t, def)
		for _, op := range all {
			f := op.GetFile()
			if f == nil || len(f.Actions) != 1 || f.Actions[0].GetMkdir() == nil {
				continue
			}
			total++
			if f.Actions[0].GetMkdir().Path != "/app" || len(op.Inputs) != 1 {
				continue
			}
			if src := all[digest.Digest(op.Inputs[0].Digest)]; src != nil && src.GetSource() != nil && strings.HasPrefix(src.GetSource().Identifier, "docker-image://") {
				onImage++
			}
		}
		return onImage, total
	}
	_, def := convert(t, planDir(t, service), options())
	if n, _ := mkdirs(def); n != 1 {
		t.Errorf("go-service: %d mkdirs of /app on the runtime image, want 1", n)
	}
	_, def = convert(t, planDir(t, "../examples/go-scratch"), options())
	if _, n := mkdirs(def); n != 0 {
		t.Errorf("go-scratch: %d mkdirs, want none on scratch", n)
	}
	dir := t.TempDir()
	writeApp(t, dir, "run:\n  packages: [curl]\n")
	_, def = convert(t, planDir(t, dir), options())
	if n, _ := mkdirs(def); n != 0 {
		t.Errorf("run.packages: %d mkdirs of /app on the runtime image, want none (apt unpacks it)", n)
	}
}
