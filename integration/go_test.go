//go:build integration

package integration

import (
	"bytes"
	"debug/elf"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/solver/errdefs"

	"github.com/strata-build/strata/internal/imagerun"
)

// checkService runs the go-service image and checks that it answers, runs
// as non-root and carries the copied migrations.
func checkService(t *testing.T, img imagerun.Image, wantVersion string) {
	t.Helper()
	cfg := img.Config.Config
	if !slices.Equal(cfg.Entrypoint, []string{"/app/api"}) || !slices.Equal(cfg.Cmd, []string{"serve"}) {
		t.Errorf("entrypoint %q cmd %q", cfg.Entrypoint, cfg.Cmd)
	}
	if cfg.User != "65532:65532" || cfg.WorkingDir != "/app" {
		t.Errorf("user %q workdir %q", cfg.User, cfg.WorkingDir)
	}
	if _, ok := cfg.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("exposed ports %v", cfg.ExposedPorts)
	}
	if cfg.Labels["org.opencontainers.image.title"] != "api" {
		t.Errorf("labels %v", cfg.Labels)
	}
	// one history entry per layer: the base's plus binary and migrations
	nonEmpty := 0
	for _, h := range img.Config.History {
		if !h.EmptyLayer {
			nonEmpty++
		}
	}
	if nonEmpty != len(img.Layers) {
		t.Errorf("%d history entries with layers for %d layers", nonEmpty, len(img.Layers))
	}
	addr := freeAddr(t)
	c := runImage(t, img, "ADDR="+addr)
	if got := get(t, c, addr, "/"); !strings.Contains(got, "hello from go-service version="+wantVersion) {
		t.Errorf("GET / = %q", got)
	}
	if got := get(t, c, addr, "/migrations"); !strings.Contains(got, "0001_init.sql") {
		t.Errorf("GET /migrations = %q", got)
	}
	if got := get(t, c, addr, "/env"); !strings.Contains(got, "GIN_MODE=release uid=65532") {
		t.Errorf("GET /env = %q", got)
	}
}

// 1a. buildctl, the Dockerfile's `# syntax=` line, the image runs and answers.
func TestBuildctlBuildsAndRuns(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	dir := b.example(t, "go-service")
	out := filepath.Join(t.TempDir(), "image.tar")
	if msg, err := command(t, dir, "buildctl", "--addr", b.addr, "build", "--frontend", "dockerfile.v0",
		"--local", "context=.", "--local", "dockerfile=.", "--opt", "build-arg:VERSION=1.0.0",
		"--output", "type=oci,dest="+out); err != nil {
		t.Fatalf("buildctl: %v\n%s", err, msg)
	}
	checkService(t, readOCI(t, out)[0], "1.0.0")
}

// 1b. `docker buildx build .` with no extra flags on the remote builder.
func TestBuildxBuildsWithNoFlags(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	dir := b.example(t, "go-service")
	// A source no other test builds: a result the daemon already holds
	// would be taken whole, and the steps not shown.
	appendFile(t, filepath.Join(dir, "internal", "greet", "greet.go"), "\n// "+strconv.FormatInt(time.Now().UnixNano(), 36)+"\n")
	if msg, err := command(t, dir, "docker", "buildx", "build", "."); err != nil {
		t.Fatalf("docker buildx build .: %v\n%s", err, msg)
	} else if !strings.Contains(msg, "go mod download") || !strings.Contains(msg, "go build ./cmd/api") {
		t.Errorf("buildx output shows no Strata steps:\n%s", msg)
	}
	out := filepath.Join(t.TempDir(), "image.tar")
	if msg, err := command(t, dir, "docker", "buildx", "build", "--output", "type=oci,dest="+out, "."); err != nil {
		t.Fatalf("docker buildx build: %v\n%s", err, msg)
	}
	checkService(t, readOCI(t, out)[0], "dev")

	// The description-free app: the Dockerfile is the syntax line alone.
	minimal := b.example(t, "go-minimal")
	out = filepath.Join(t.TempDir(), "minimal.tar")
	if msg, err := command(t, minimal, "docker", "buildx", "build", "--output", "type=oci,dest="+out, "."); err != nil {
		t.Fatalf("docker buildx build (detected app): %v\n%s", err, msg)
	}
	img := readOCI(t, out)[0]
	if !slices.Equal(img.Config.Config.Entrypoint, []string{"/app/hello"}) || img.Config.Config.User != "65532:65532" {
		t.Errorf("detected app config %+v", img.Config.Config)
	}
}

// 2. A source edit and a --build-arg change leave `go mod download` cached.
func TestRebuildKeepsDependencyStepCached(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "go-service")
	// Unique values: the daemon keeps results of earlier runs, and content
	// it has seen before is rightly taken from cache.
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	attrs := map[string]string{"build-arg:VERSION": "1-" + run}
	if _, err := b.solve(t, c, build{dir: dir, attrs: attrs}); err != nil {
		t.Fatal(err)
	}

	greet := filepath.Join(dir, "internal", "greet", "greet.go")
	edit(t, greet, "hello from", "hi "+run+" from")
	v, err := b.solve(t, c, build{dir: dir, attrs: attrs})
	if err != nil {
		t.Fatal(err)
	}
	if !v.cached(t, "go mod download") {
		t.Error("editing a .go file re-ran go mod download")
	}
	if v.cached(t, "go build ./cmd/api") {
		t.Error("editing a .go file did not re-run the compile step")
	}

	v, err = b.solve(t, c, build{dir: dir, attrs: map[string]string{"build-arg:VERSION": "2-" + run}})
	if err != nil {
		t.Fatal(err)
	}
	if !v.cached(t, "go mod download") {
		t.Error("changing --build-arg VERSION re-ran go mod download")
	}
	if v.cached(t, "go build ./cmd/api") {
		t.Error("changing --build-arg VERSION did not reach the compile step")
	}
}

// 3. Two platforms give an index with two manifests and native binaries.
func TestMultiPlatform(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "go-service")
	imgs := b.images(t, c, build{dir: dir, attrs: map[string]string{"platform": "linux/amd64,linux/arm64"}})
	machines := map[string]elf.Machine{}
	for _, img := range imgs {
		f, err := elf.NewFile(bytes.NewReader(imageFile(t, img, "/app/api")))
		if err != nil {
			t.Fatal(err)
		}
		machines[img.Platform.Architecture] = f.Machine
	}
	if len(imgs) != 2 || machines["amd64"] != elf.EM_X86_64 || machines["arm64"] != elf.EM_AARCH64 {
		t.Errorf("want amd64 and arm64 binaries, got %v", machines)
	}
}

// 4. A bad description fails with the offending line attached.
func TestBadDescriptionPointsAtTheLine(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "go-minimal")
	desc := "# syntax=localhost:5000/strata:dev\napp: go\ngo:\n  mian: ./cmd/api\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(desc), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := b.solve(t, c, build{dir: dir})
	if err == nil {
		t.Fatal("a misspelt key built")
	}
	if !strings.Contains(err.Error(), "Dockerfile:4:3: go.mian: unknown key (did you mean `main`?)") {
		t.Errorf("error = %v", err)
	}
	srcs := errdefs.Sources(err)
	if len(srcs) == 0 || srcs[0].Info.Filename != "Dockerfile" || srcs[0].Ranges[0].Start.Line != 4 {
		t.Fatalf("error carries no source location: %v", srcs)
	}
	var printed bytes.Buffer
	srcs[0].Print(&printed)
	if !strings.Contains(printed.String(), ">>>   mian: ./cmd/api") {
		t.Errorf("printed source:\n%s", printed.String())
	}

	// the same through buildctl, as a user sees it
	msg, err := command(t, dir, "buildctl", "--addr", b.addr, "build", "--frontend", "dockerfile.v0", "--local", "context=.", "--local", "dockerfile=.")
	if err == nil || !strings.Contains(msg, "did you mean `main`?") || !strings.Contains(msg, ">>>") {
		t.Errorf("buildctl output:\n%s", msg)
	}

	// an image that does not exist is reported at the line that named it
	desc = "# syntax=localhost:5000/strata:dev\nrun:\n  base: " + b.registry + "/strata-it/no-such-image:1\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(desc), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = b.solve(t, c, build{dir: dir})
	if err == nil || !strings.Contains(err.Error(), "run.base: image "+b.registry+"/strata-it/no-such-image:1 cannot be resolved") {
		t.Errorf("missing image: %v", err)
	}
	if srcs := errdefs.Sources(err); len(srcs) == 0 || srcs[0].Ranges[0].Start.Line != 3 {
		t.Errorf("missing image error carries no line: %v", srcs)
	}
}

// 5. Cache exported (to a local dir, to the registry) and imported by an
// empty daemon keeps the dependency and compile steps cached.
func TestCacheExportImportOnEmptyDaemon(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	cacheDir := t.TempDir()
	ref := b.registry + "/strata-it/cache:" + run
	for _, c := range []struct {
		name string
		to   client.CacheOptionsEntry
		from client.CacheOptionsEntry
	}{
		{"local", client.CacheOptionsEntry{Type: "local", Attrs: map[string]string{"dest": cacheDir, "mode": "max"}},
			client.CacheOptionsEntry{Type: "local", Attrs: map[string]string{"src": cacheDir}}},
		{"registry", client.CacheOptionsEntry{Type: "registry", Attrs: map[string]string{"ref": ref, "mode": "max"}},
			client.CacheOptionsEntry{Type: "registry", Attrs: map[string]string{"ref": ref}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := b.example(t, "go-service")
			if _, err := b.solve(t, b.client(t), build{dir: dir, cacheTo: []client.CacheOptionsEntry{c.to}}); err != nil {
				t.Fatal(err)
			}
			fresh := startDaemon(t, b)
			v, err := b.solve(t, fresh, build{dir: dir, cacheFrm: []client.CacheOptionsEntry{c.from}})
			if err != nil {
				t.Fatal(err)
			}
			if !v.cached(t, "go mod download") || !v.cached(t, "go build ./cmd/api") {
				t.Errorf("after importing the cache on an empty daemon: download cached=%v, compile cached=%v",
					v.cached(t, "go mod download"), v.cached(t, "go build ./cmd/api"))
			}
		})
	}

	// A build that pushes and exports a local cache at once, on a daemon
	// that never pulled the runtime base: BuildKit leaves a base it did not
	// unpack out of such an export, and the import then re-ran the compile
	// (Strata unpacks the runtime base first, llb's unpackDir).
	t.Run("local beside a push", func(t *testing.T) {
		dir := b.example(t, "go-service")
		dest := t.TempDir()
		image := b.registry + "/strata-it/cache-push:" + run
		push := []client.ExportEntry{{Type: client.ExporterImage, Attrs: map[string]string{"name": image, "push": "true", "registry.insecure": "true"}}}
		to := client.CacheOptionsEntry{Type: "local", Attrs: map[string]string{"dest": dest, "mode": "max"}}
		if _, err := b.solve(t, startDaemon(t, b), build{dir: dir, exports: push, cacheTo: []client.CacheOptionsEntry{to}}); err != nil {
			t.Fatal(err)
		}
		v, err := b.solve(t, startDaemon(t, b), build{dir: dir, cacheFrm: []client.CacheOptionsEntry{{Type: "local", Attrs: map[string]string{"src": dest}}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range []string{"go mod download", "go build ./cmd/api", "copy api"} {
			if !v.cached(t, step) {
				t.Errorf("%s ran after importing a cache exported beside a push", step)
			}
		}
	})

	// Inline cache rides in the pushed image's config and, as for a
	// Dockerfile, covers the image's own layers: an empty daemon importing
	// it compiles nothing.
	t.Run("inline", func(t *testing.T) {
		dir := b.example(t, "go-service")
		image := b.registry + "/strata-it/inline:" + run
		push := []client.ExportEntry{{Type: client.ExporterImage, Attrs: map[string]string{"name": image, "push": "true", "registry.insecure": "true"}}}
		if _, err := b.solve(t, b.client(t), build{dir: dir, exports: push, cacheTo: []client.CacheOptionsEntry{{Type: "inline"}}}); err != nil {
			t.Fatal(err)
		}
		fresh := startDaemon(t, b)
		v, err := b.solve(t, fresh, build{dir: dir, cacheFrm: []client.CacheOptionsEntry{{Type: "registry", Attrs: map[string]string{"ref": image}}}})
		if err != nil {
			t.Fatal(err)
		}
		for name, ran := range v.ran {
			if ran && (strings.Contains(name, "go build") || strings.Contains(name, "go mod download")) {
				t.Errorf("%s ran after importing the inline cache", name)
			}
		}
		if len(v.ran) == 0 {
			t.Error("the status stream reported no vertex")
		}
	})
}

// --build-context redirects any base image Strata uses.
func TestNamedContextRedirectsBaseImage(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "go-service")
	attrs := map[string]string{
		"context:gcr.io/distroless/static-debian12": "docker-image://" + b.registry + "/library/debian:bookworm-slim",
	}
	img := b.images(t, c, build{dir: dir, attrs: attrs})[0]
	if len(imageFile(t, img, "/etc/debian_version")) == 0 {
		t.Error("the runtime base was not redirected to Debian")
	}
}

// cgo builds on the glibc builder and runs on a glibc runtime base.
func TestCgoBuildsAndRuns(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	dir := b.example(t, "go-cgo")
	img := b.images(t, b.client(t), build{dir: dir})[0]
	f, err := elf.NewFile(bytes.NewReader(imageFile(t, img, "/app/cgo-hello")))
	if err != nil {
		t.Fatal(err)
	}
	dynamic := false
	for _, p := range f.Progs {
		dynamic = dynamic || p.Type == elf.PT_INTERP
	}
	if !dynamic {
		t.Error("a cgo binary should link glibc dynamically")
	}
	if got := runToExit(t, img); !strings.Contains(got, "cgo answer=42 strlen=5") {
		t.Errorf("output %q", got)
	}
}

// --target test runs the module's tests with the build's caches.
func TestTestTarget(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	dir := b.example(t, "go-service")
	r, err := b.solve(t, b.client(t), build{dir: dir, attrs: map[string]string{"target": "test", "no-cache": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.cached(t, "go test ./...") {
		t.Error("--no-cache-filter test did not re-run the tests")
	}
	// a failing test fails the build
	bad := filepath.Join(dir, "internal", "greet", "greet_test.go")
	if err := os.WriteFile(bad, []byte("package greet\n\nimport \"testing\"\n\nfunc TestFails(t *testing.T) { t.Fatal(\"broken on purpose\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := b.solve(t, b.client(t), build{dir: dir, attrs: map[string]string{"target": "test"}}); err == nil {
		t.Error("a failing test passed --target test")
	}
}

// Producing the definition reads only go.mod, go.work and a few package
// clauses: a large .git or node_modules is never transferred for it, and
// .git never reaches the compile step.
func TestDetectionIgnoresLargeDirectories(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	dir := b.example(t, "go-service")
	os.Remove(filepath.Join(dir, ".dockerignore")) // .git must stay out by Strata's own doing
	const big = 32 << 20
	for _, p := range []string{".git/objects/pack/big.pack", "node_modules/blob/big.bin"} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, bytes.Repeat([]byte{'x'}, big), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := b.solve(t, b.client(t), build{dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	detect := r.transferred["[internal] load files for detection"]
	if detect == 0 || detect > 1<<20 {
		t.Errorf("detection transferred %d bytes", detect)
	}
	whole := r.transferred["[internal] load build context"]
	if whole < big || whole >= 2*big {
		t.Errorf("the compile step's context transferred %d bytes: want node_modules (%d) without .git", whole, big)
	}
	if deps := r.transferred["[internal] load build context go.mod go.sum"]; deps > 64<<10 {
		t.Errorf("the download step's context transferred %d bytes", deps)
	}

	// .dockerignore applies to every step's context
	if err := os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte("node_modules\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r, err = b.solve(t, b.client(t), build{dir: dir}); err != nil {
		t.Fatal(err)
	}
	if whole := r.transferred["[internal] load build context"]; whole == 0 || whole >= big {
		t.Errorf("with node_modules ignored the compile step's context still transferred %d bytes", whole)
	}
}

// A --build-arg the description does not use is named, not dropped silently.
func TestUnusedBuildArgWarns(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	dir := b.example(t, "go-service")
	r, err := b.solve(t, b.client(t), build{dir: dir, attrs: map[string]string{"build-arg:VERSOIN": "2"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "build arg VERSOIN is not used by Dockerfile (did you mean `VERSION`?)"
	if !slices.Contains(r.warnings, want) {
		t.Errorf("warnings %q lack %q", r.warnings, want)
	}
}

// buildx --call targets / outline reach the frontend's subrequests.
func TestCallTargetsAndOutline(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	dir := b.example(t, "go-service")
	msg, err := command(t, dir, "docker", "buildx", "build", "--call", "targets", ".")
	if err != nil {
		t.Fatalf("--call targets: %v\n%s", err, msg)
	}
	for _, want := range []string{"runtime (default)", "build", "test"} {
		if !strings.Contains(msg, want) {
			t.Errorf("--call targets output lacks %q:\n%s", want, msg)
		}
	}
	msg, err = command(t, dir, "docker", "buildx", "build", "--call", "outline", ".")
	if err != nil {
		t.Fatalf("--call outline: %v\n%s", err, msg)
	}
	for _, want := range []string{"VERSION", "dev", "GOPROXY", "netrc"} {
		if !strings.Contains(msg, want) {
			t.Errorf("--call outline output lacks %q:\n%s", want, msg)
		}
	}
	// caches appear in the JSON form only
	msg, err = command(t, dir, "docker", "buildx", "build", "--call", "outline,format=json", ".")
	if err != nil || !strings.Contains(msg, `"ID": "strata/go/mod"`) {
		t.Errorf("--call outline,format=json: %v\n%s", err, msg)
	}
}

// SOURCE_DATE_EPOCH sets the image and history times.
func TestSourceDateEpoch(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	dir := b.example(t, "go-service")
	img := b.images(t, b.client(t), build{dir: dir, attrs: map[string]string{"build-arg:SOURCE_DATE_EPOCH": "1700000000"}})[0]
	want := time.Unix(1700000000, 0).UTC()
	if img.Config.Created == nil || !img.Config.Created.Equal(want) {
		t.Errorf("created %v, want %v", img.Config.Created, want)
	}
	last := img.Config.History[len(img.Config.History)-1]
	if last.Created == nil || !last.Created.Equal(want) {
		t.Errorf("history %+v", last)
	}
}

// The description can live in any file buildx names with -f.
func TestDescriptionInAnotherFile(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	dir := b.example(t, "go-minimal")
	desc := "# syntax=localhost:5000/strata:dev\nrun:\n  env: {FROM_FILE: strata.yaml}\n"
	if err := os.WriteFile(filepath.Join(dir, "strata.yaml"), []byte(desc), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "image.tar")
	if msg, err := command(t, dir, "docker", "buildx", "build", "-f", "strata.yaml", "--output", "type=oci,dest="+out, "."); err != nil {
		t.Fatalf("docker buildx build -f strata.yaml: %v\n%s", err, msg)
	}
	if env := readOCI(t, out)[0].Config.Config.Env; !slices.Contains(env, "FROM_FILE=strata.yaml") {
		t.Errorf("env %q", env)
	}
}

// A replace directive pointing into the context resolves in the download
// step, which sees only lockfiles and the replacement's go.mod.
func TestLocalReplaceBuilds(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	dir := t.TempDir()
	files := map[string]string{
		"Dockerfile": "# syntax=localhost:5000/strata:dev\n",
		"go.mod":     "module example.com/app\n\ngo 1.26\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ./lib\n",
		"main.go":    "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/lib\"\n)\n\nfunc main() { fmt.Println(lib.Msg()) }\n",
		"lib/go.mod": "module example.com/lib\n\ngo 1.26\n",
		"lib/lib.go": "package lib\n\n// Msg is what the app prints.\nfunc Msg() string { return \"hello from a replaced module\" }\n",
	}
	for name, content := range files {
		full := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := runToExit(t, b.images(t, b.client(t), build{dir: dir})[0]); !strings.Contains(got, "hello from a replaced module") {
		t.Errorf("output %q", got)
	}
}

// A go.work workspace builds: members' go.mod files reach the download step.
func TestWorkspaceBuilds(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	dir := b.example(t, "go-workspace")
	if got := runToExit(t, b.images(t, b.client(t), build{dir: dir})[0]); !strings.Contains(got, "hello from a Go workspace (and a replaced module)") {
		t.Errorf("output %q", got)
	}
}

// scratch gets the builder's CA bundle; ${TARGETARCH} reaches ldflags.
func TestScratchRuntime(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	dir := b.example(t, "go-scratch")
	img := b.images(t, b.client(t), build{dir: dir})[0]
	if len(img.Layers) != 2 {
		t.Errorf("scratch image has %d layers, want CA bundle + binary", len(img.Layers))
	}
	if got := runToExit(t, img); !strings.Contains(got, "arch=amd64 ca=true uid=65532") {
		t.Errorf("output %q", got)
	}
}
