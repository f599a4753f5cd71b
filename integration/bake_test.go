//go:build integration

package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"

	"github.com/strata-build/strata/frontend/repo"
	"github.com/strata-build/strata/internal/imagerun"
)

// bakeReport is what `docker buildx bake --progress=rawjson` said of each
// vertex: its name (buildx prefixes it with the target, "[web] npm run
// build"), whether it ran, and its digests.
type bakeReport struct {
	ran     map[string]bool
	digests map[string][]digest.Digest
}

// readBake parses the rawjson progress stream: one client.SolveStatus per
// line, as the solve API reports it, so a vertex BuildKit took from cache
// says so. A vertex that ran and is reported again as cached when the
// result is exported counts as run.
func readBake(t testing.TB, out string) bakeReport {
	t.Helper()
	r := bakeReport{ran: map[string]bool{}, digests: map[string][]digest.Digest{}}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var st client.SolveStatus
		if err := json.Unmarshal(line, &st); err != nil {
			t.Fatalf("rawjson line: %v: %s", err, line)
		}
		for _, v := range st.Vertexes {
			if !slices.Contains(r.digests[v.Name], v.Digest) {
				r.digests[v.Name] = append(r.digests[v.Name], v.Digest)
			}
			if v.Completed != nil {
				r.ran[v.Name] = r.ran[v.Name] || !v.Cached
			}
		}
	}
	if len(r.ran) == 0 {
		t.Fatalf("no vertex in the bake's progress:\n%s", out)
	}
	return r
}

// ranDigests are the digests of the vertices named like step that ran.
func (r bakeReport) ranDigests(step string) []digest.Digest {
	var out []digest.Digest
	for name, ran := range r.ran {
		if !ran || !strings.Contains(name, step) {
			continue
		}
		for _, d := range r.digests[name] {
			if !slices.Contains(out, d) {
				out = append(out, d)
			}
		}
	}
	return out
}

// step finds the vertices of a target's step: named like "[target] …step".
func (r bakeReport) step(t testing.TB, target, step string) (ran bool, digests []digest.Digest) {
	t.Helper()
	found := false
	for name, did := range r.ran {
		if strings.Contains(name, "["+target) && strings.Contains(name, step) {
			found = true
			ran = ran || did
			for _, d := range r.digests[name] {
				if !slices.Contains(digests, d) {
					digests = append(digests, d)
				}
			}
		}
	}
	if !found {
		names := slices.Sorted(func(yield func(string) bool) {
			for n := range r.ran {
				if !yield(n) {
					return
				}
			}
		})
		t.Fatalf("no vertex of target %s named like %q among %q", target, step, names)
	}
	return ran, digests
}

// bake runs docker buildx bake in dir through the bed's builder
// (BUILDX_BUILDER from hack/lib.sh), every target exported as an OCI
// tarball under out, and returns the progress report.
func bake(t testing.TB, dir, out string, targets []string, env ...string) bakeReport {
	t.Helper()
	// bake asks before it writes outside the working directory.
	args := []string{"buildx", "bake", "--progress=rawjson", "--allow=fs.write=" + out}
	for _, tg := range targets {
		args = append(args, "--set", tg+".output=type=oci,dest="+filepath.Join(out, tg+".tar"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Dir = dir // bake resolves the targets' contexts from here
	cmd.Env = append(os.Environ(), env...)
	msg, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker buildx bake: %v\n%s", err, tail(string(msg), 60))
	}
	t.Logf("docker buildx bake of %d targets took %s", len(targets), time.Since(start).Round(time.Millisecond))
	return readBake(t, string(msg))
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// The example monorepo, adopted with strata init: one docker buildx bake
// builds all four apps through `# syntax=`, the two Go services of one
// module share one download step, every image answers, and after an edit
// of the Node frontend a second bake re-runs its build and nothing of the
// other three; after an edit of one Go service, only its compile.
func TestBakeBuildsEveryAppOfTheMonorepo(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	dir := t.TempDir()
	src := filepath.Join(b.root, "examples-repos", "monorepo")
	// The example's own descriptions are removed: strata init writes them.
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		if d.Name() == "Dockerfile" || d.Name() == "Dockerfile.dockerignore" || rel == repo.BakeFile {
			return nil
		}
		dt, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), dt, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	// Content the daemon has not seen, so the first bake really builds.
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	edit(t, filepath.Join(dir, "backend", "internal", "greet", "greet.go"), `"hello from "`, `"hello `+run+` from "`)
	edit(t, filepath.Join(dir, "worker", "main.py"), "hello from worker", "hello "+run+" from worker")
	// A go.mod the daemon has not seen: the download step runs, once.
	edit(t, filepath.Join(dir, "backend", "go.mod"), "go 1.26\n", "go 1.26\n\n// run "+run+"\n")

	var report strings.Builder
	if err := repo.Init(context.Background(), dir, repo.Options{Frontend: b.registry + "/strata:dev", Report: &report}); err != nil {
		t.Fatalf("strata init: %v\n%s", err, report.String())
	}
	t.Logf("strata init:\n%s", report.String())
	targets := []string{"api", "notify", "web", "worker"}

	out := t.TempDir()
	first := bake(t, dir, out, targets, "REGISTRY="+b.registry, "BRANCH=bake-test")
	for _, tg := range []string{"api", "notify"} {
		if ran, _ := first.step(t, tg, "go build ./cmd/"+tg); !ran {
			t.Errorf("%s: the first bake took the compile from cache", tg)
		}
	}
	// One go.mod and go.sum: the services' download steps are one step,
	// whatever else each binary's .dockerignore leaves out, so the bake
	// runs it once.
	if ran := first.ranDigests("go mod download"); len(ran) != 1 {
		t.Errorf("the bake ran %d download steps (%v), want one for both Go services", len(ran), ran)
	}

	answers := func(dir string, web string) {
		imgs := map[string]imagerun.Image{}
		for _, tg := range targets {
			imgs[tg] = readOCI(t, filepath.Join(dir, tg+".tar"))[0]
		}
		for tg, want := range map[string]string{"api": "hello " + run + " from api request=", "notify": "hello " + run + " from notify"} {
			addr := freeAddr(t)
			c := runImage(t, imgs[tg], "ADDR="+addr)
			if got := get(t, c, addr, "/"); !strings.Contains(got, want) {
				t.Errorf("%s: GET / = %q, want %q", tg, got, want)
			}
		}
		for tg, want := range map[string]string{"web": web, "worker": "hello " + run + " from worker (idna xn--bcher-kva.example)"} {
			addr := freeAddr(t)
			host, port, _ := strings.Cut(addr, ":")
			c := runImage(t, imgs[tg], "HOST="+host, "PORT="+port)
			if got := get(t, c, addr, "/"); !strings.Contains(got, want) {
				t.Errorf("%s: GET / = %q, want %q", tg, got, want)
			}
		}
		if u := imgs["api"].Config.Config.User; u != "65532:65532" {
			t.Errorf("api runs as %q", u)
		}
	}
	answers(out, "hello from web (built)")

	// Edit the frontend only: its build re-runs, the rest is cached.
	edit(t, filepath.Join(dir, "web", "src", "index.html"), "hello from web", "hello "+run+" from web")
	out2 := t.TempDir()
	second := bake(t, dir, out2, targets, "REGISTRY="+b.registry, "BRANCH=bake-test")
	if ran, _ := second.step(t, "web", "npm run build"); !ran {
		t.Error("editing web/src did not re-run npm run build")
	}
	for tg, steps := range map[string][]string{
		"web":    {"npm ci"},
		"api":    {"go mod download", "go build ./cmd/api"},
		"notify": {"go mod download", "go build ./cmd/notify"},
		"worker": {"pip install -r requirements.txt", "copy the app"},
	} {
		for _, s := range steps {
			if ran, _ := second.step(t, tg, s); ran {
				t.Errorf("editing web/src re-ran %s's %q", tg, s)
			}
		}
	}
	answers(out2, "hello "+run+" from web (built)")

	// Edit one Go service: its compile re-runs, the other binary's does
	// not (its context leaves this main package out), nor the download.
	edit(t, filepath.Join(dir, "backend", "cmd", "notify", "main.go"), "greet.Hello(\"notify\")", "greet.Hello(\"notify\")+\" (edited)\"")
	out3 := t.TempDir()
	third := bake(t, dir, out3, targets, "REGISTRY="+b.registry, "BRANCH=bake-test")
	if ran, _ := third.step(t, "notify", "go build ./cmd/notify"); !ran {
		t.Error("editing cmd/notify did not re-run its compile")
	}
	for tg, s := range map[string]string{"api": "go build ./cmd/api", "notify": "go mod download", "web": "npm run build", "worker": "pip install -r requirements.txt"} {
		if ran, _ := third.step(t, tg, s); ran {
			t.Errorf("editing cmd/notify re-ran %s's %q", tg, s)
		}
	}
	addr := freeAddr(t)
	c := runImage(t, readOCI(t, filepath.Join(out3, "notify.tar"))[0], "ADDR="+addr)
	if got := get(t, c, addr, "/"); !strings.Contains(got, "hello "+run+" from notify (edited)") {
		t.Errorf("edited notify: GET / = %q", got)
	}
}
