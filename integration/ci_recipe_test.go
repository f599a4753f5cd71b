//go:build integration

package integration

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
)

// docs/ci/build.sh, the recipe for any runner, run as a pipeline would, with
// `strata build` and on daemons with no state of their own (each CI job on
// a new runner): the default branch's build exports its registry cache; a
// new branch's first build, on another empty daemon, takes the download
// from that cache and compiles only the edit; after the daemon is pruned,
// the branch's next build takes every step from the branch's own cache;
// strata cache prune then deletes the branch's cache tag and nothing else.
// Not parallel: it prunes the shared daemon, which the parallel tests (run
// after every sequential one) would feel mid-build.
func TestCIRecipeScript(t *testing.T) {
	b := testBed(t)
	bin := strataCLI(t, b)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	dir := b.example(t, "go-service")
	// a source no daemon has seen, so only the registry cache can answer
	edit(t, filepath.Join(dir, "internal", "greet", "greet.go"), "hello from", "hello "+run+" from")
	image := b.registry + "/it-ci-" + run + "/go-service"
	recipe := func(t *testing.T, addr, branch, defaultBranch, tag string) (map[string]bool, string) {
		t.Helper()
		cmd := exec.Command("bash", filepath.Join(b.root, "docs", "ci", "build.sh"), "--progress", "rawjson")
		cmd.Env = append(os.Environ(), "BUILDKIT_HOST="+addr, "BUILD="+bin+" build", "IMAGE="+image, "TAG="+tag,
			"BRANCH="+branch, "DEFAULT_BRANCH="+defaultBranch, "CONTEXT="+dir)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("build.sh on %s: %v\n%s", branch, err, stderr.String())
		}
		return cachedSteps(t, stderr.String()), stderr.String()
	}
	const download, compile = "go mod download", "go build ./cmd/api"

	_, first := startDaemonAt(t, b)
	steps, _ := recipe(t, first, "main", "main", "main-1")
	if steps[download] || steps[compile] {
		t.Fatalf("the default branch's first build on an empty daemon found a cache: %v", steps)
	}
	repo := strings.TrimPrefix(image, b.registry+"/")
	manifestDigest(t, b, repo, "cache-main") // fails the test when it is missing

	// a branch of a name that needs a slug, with one source edit
	edit(t, filepath.Join(dir, "internal", "greet", "greet.go"), "hello "+run+" from", "hello "+run+" branch from")
	c, second := startDaemonAt(t, b)
	steps, log := recipe(t, second, "feature/Login-Form", "main", "feature-1")
	if cmd := commandLine(log); !strings.Contains(log, "importing "+image+":cache-main") || strings.Count(cmd, "--cache-from") != 1 || !strings.Contains(cmd, "--cache-from type=registry,ref="+image+":cache-main ") {
		t.Errorf("the branch's first build did not import main's cache alone: %s", cmd)
	}
	if !steps[download] {
		t.Errorf("the branch's first build did not take %q from cache-main: %v", download, steps)
	}
	if steps[compile] {
		t.Errorf("the branch's first build took %q from a cache, after a source edit", compile)
	}
	manifestDigest(t, b, repo, "cache-feature-login-form")

	// the runner's daemon loses its state; the branch's cache has it all
	if err := c.Prune(context.Background(), nil, client.PruneAll); err != nil {
		t.Fatal(err)
	}
	// The script imports the branch's cache alone now that the registry
	// holds it (beside main's, BuildKit at times follows main's record of
	// the download and compiles again: docs/ci.md).
	steps, log = recipe(t, second, "feature/Login-Form", "main", "feature-2")
	if cmd := commandLine(log); strings.Count(cmd, "--cache-from") != 1 || !strings.Contains(cmd, "--cache-from type=registry,ref="+image+":cache-feature-login-form ") {
		t.Errorf("the branch's next build did not import its own cache alone: %s", cmd)
	}
	for _, s := range []string{download, compile} {
		if !steps[s] {
			t.Errorf("after a prune, the branch's build did not take %q from its cache: %v", s, steps)
		}
	}
	manifestDigest(t, b, repo, "feature-2") // the image was pushed

	// strata cache prune, against the bed's registry: keeping no cache but
	// main's deletes the branch's, and leaves main's and the images.
	if out, err := command(t, b.root, bin, "cache", "prune", "--keep", "0", "--keep-branch", "main", image); err != nil {
		t.Fatalf("strata cache prune: %v\n%s", err, out)
	} else {
		t.Logf("strata cache prune: %s", out)
	}
	if status, _ := manifestHead(t, b, repo, "cache-feature-login-form"); status != http.StatusNotFound {
		t.Errorf("after the prune, cache-feature-login-form answers %d", status)
	}
	for _, tag := range []string{"cache-main", "main-1", "feature-1", "feature-2"} {
		if status, _ := manifestHead(t, b, repo, tag); status != http.StatusOK {
			t.Errorf("after the prune, %s answers %d", tag, status)
		}
	}
}

// cachedSteps reads a rawjson progress stream: each step's name (the
// "[stage n/m] " prefix left out) and whether it was taken from cache. A
// vertex's first completion is the solver's answer; what comes after it is
// work on the result (a step that ran is reported cached again at export,
// one imported from a registry reports the pulls of its lazy layers).
func cachedSteps(t *testing.T, rawjson string) map[string]bool {
	t.Helper()
	first := map[string]bool{} // vertex digest → cached, at its first completion
	cached := map[string]bool{}
	for _, st := range statuses(t, rawjson) {
		for _, v := range st.Vertexes {
			if v.Completed == nil {
				continue
			}
			if _, seen := first[v.Digest.String()]; seen {
				continue
			}
			first[v.Digest.String()] = v.Cached
			name := v.Name
			if i := strings.Index(name, "] "); strings.HasPrefix(name, "[") && i > 0 {
				name = name[i+2:]
			}
			prev, seen := cached[name]
			cached[name] = v.Cached && (!seen || prev)
		}
	}
	return cached
}

// commandLine is the build command build.sh printed ("+ …") before it ran.
func commandLine(stderr string) string {
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "+ ") {
			return l
		}
	}
	return "(build.sh printed no command)"
}
