//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strata-build/strata/internal/imagerun"
)

// checkMulti runs both binaries of a go-multi image: the api, its
// entrypoint, answers; the worker, run as --entrypoint /app/worker would,
// works through its jobs and exits. Both run as the non-root user.
func checkMulti(t *testing.T, img imagerun.Image, greeting, version string) {
	t.Helper()
	cfg := img.Config.Config
	if !slices.Equal(cfg.Entrypoint, []string{"/app/api"}) || len(cfg.Cmd) != 0 || cfg.User != "65532:65532" {
		t.Errorf("entrypoint %q cmd %q user %q", cfg.Entrypoint, cfg.Cmd, cfg.User)
	}
	paths := layerPaths(t, img)
	for _, p := range []string{"app/api", "app/worker"} {
		if !slices.Contains(paths, p) {
			t.Errorf("the image has no %s: %q", p, paths)
		}
	}
	addr := freeAddr(t)
	c := runImage(t, img, "ADDR="+addr)
	if got := get(t, c, addr, "/"); !strings.Contains(got, greeting+" api version="+version+" request=") {
		t.Errorf("api: GET / = %q", got)
	}
	worker := img
	worker.Config.Config.Entrypoint = []string{"/app/worker"}
	if got := runToExit(t, worker); !strings.Contains(got, greeting+" worker version="+version+" processed 3 jobs as uid 65532") {
		t.Errorf("worker printed %q", got)
	}
}

// layerOf is the layer that adds name, -1 when none does.
func layerOf(t *testing.T, img imagerun.Image, name string) int {
	t.Helper()
	for i := range img.Layers {
		found := false
		err := imagerun.Image{Layers: img.Layers[i : i+1]}.Entries(func(h *tar.Header, _ io.Reader) error {
			found = found || h.Name == name
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if found {
			return i
		}
	}
	return -1
}

// go.binaries through `# syntax=`: one image holding both binaries of the
// module, each of which runs; editing one binary's main package re-runs
// the one compile step, never the download, and leaves the other binary's
// layer byte for byte as it was.
func TestGoBinariesInOneImage(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "go-multi")
	// Content the daemon has not seen, so the first build compiles.
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	greeting := "hello " + run + " from go-multi"
	edit(t, filepath.Join(dir, "internal", "greet", "greet.go"), `"hello from go-multi "`, `"`+greeting+` "`)
	attrs := map[string]string{"build-arg:VERSION": "1.2." + run}

	start := time.Now()
	first, r1 := b.imagesAndReport(t, c, build{dir: dir, attrs: attrs})
	t.Logf("first build: %s", time.Since(start).Round(time.Millisecond))
	if r1.cached(t, "go build ./cmd/api ./cmd/worker") {
		t.Error("the first build took the compile from cache")
	}
	checkMulti(t, first[0], greeting, "1.2."+run)

	edit(t, filepath.Join(dir, "cmd", "worker", "main.go"), `"resize", "notify", "archive"`, `"resize", "notify", "archive-`+run+`"`)
	start = time.Now()
	second, r2 := b.imagesAndReport(t, c, build{dir: dir, attrs: attrs})
	t.Logf("rebuild after editing cmd/worker: %s", time.Since(start).Round(time.Millisecond))
	if !r2.cached(t, "go mod download") {
		t.Error("editing cmd/worker re-ran go mod download")
	}
	if r2.cached(t, "go build ./cmd/api ./cmd/worker") {
		t.Error("editing cmd/worker did not re-run the compile")
	}
	checkMulti(t, second[0], greeting, "1.2."+run)
	worker := second[0]
	worker.Config.Config.Entrypoint = []string{"/app/worker"}
	if got := runToExit(t, worker); !strings.Contains(got, "job archive-"+run) {
		t.Errorf("the edited worker printed %q", got)
	}
	// One layer per binary: the api, relinked from the same inputs, is
	// the same bytes, so its layer is the one already pushed.
	l1, l2 := layerOf(t, first[0], "app/api"), layerOf(t, second[0], "app/api")
	w1, w2 := layerOf(t, first[0], "app/worker"), layerOf(t, second[0], "app/worker")
	switch {
	case l1 < 0 || l2 < 0 || w1 < 0 || w2 < 0 || l1 == w1:
		t.Errorf("layers of app/api %d, %d and app/worker %d, %d: want a layer of its own for each", l1, l2, w1, w2)
	case !bytes.Equal(first[0].Layers[l1], second[0].Layers[l2]):
		t.Error("editing cmd/worker changed the api's layer")
	case bytes.Equal(first[0].Layers[w1], second[0].Layers[w2]):
		t.Error("editing cmd/worker left its layer as it was")
	}

	// A package that is not main, outside what detection transferred:
	// the frontend fetches its .go files and says so at its line.
	edit(t, filepath.Join(dir, "Dockerfile"), "    - main: ./cmd/worker", "    - main: ./internal/greet")
	_, err := b.solve(t, c, build{dir: dir, attrs: attrs})
	if want := "Dockerfile:7:13: go.binaries[1].main: ./internal/greet is package greet, not a main package"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want %q", err, want)
	}
}

// go-multi in the eject-equivalence test: both binaries, both images.
func init() {
	servers["go-multi"] = func(t *testing.T, img imagerun.Image) { checkMulti(t, img, "hello from go-multi", "dev") }
}
