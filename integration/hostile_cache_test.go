//go:build integration

package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
)

// A build cancelled by its client in the middle of npm ci (seen from the
// progress stream: the install has started and printed its first fetch)
// leaves nothing behind that spoils the next build of the same app: it
// completes, and the image answers.
func TestCancelledInstallLeavesNextBuildCorrect(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "node-express")
	markRun(t, dir) // an install new to the daemon, so it runs
	const install = "[deps 2/2] npm ci"
	attrs := map[string]string{"build-arg:NPM_CONFIG_LOGLEVEL": "http"}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	names := map[string]string{}
	cancelledAt := ""
	v, err := b.solve(t, c, build{dir: dir, attrs: attrs, ctx: ctx, watch: func(st *client.SolveStatus) {
		for _, vx := range st.Vertexes {
			names[vx.Digest.String()] = vx.Name
		}
		for _, l := range st.Logs {
			if name := names[l.Vertex.String()]; cancelledAt == "" && strings.Contains(name, install) && strings.Contains(string(l.Data), "http fetch") {
				cancelledAt = strings.TrimSpace(string(l.Data))
				cancel()
			}
		}
	}})
	if cancelledAt == "" {
		t.Fatalf("the build ended before npm ci fetched anything (err %v)", err)
	}
	t.Logf("cancelled at %q", cancelledAt)
	if err == nil {
		t.Fatal("the cancelled build succeeded")
	}
	for name := range v.completed {
		if strings.Contains(name, install) && !slices.Contains(v.failed, name) {
			t.Fatalf("%s completed before the cancel reached it: the test cancelled nothing", name)
		}
	}

	imgs, r := b.imagesAndReport(t, c, build{dir: dir, attrs: attrs})
	if r.cached(t, install) {
		t.Errorf("%s of the cancelled build was taken from cache", install)
	}
	checkNodeExpress(t, imgs[0], "hello from node-express")
}

// Files in Strata's cache mounts truncated behind its back (through
// BuildKit itself: a Dockerfile RUN with a cache mount of the same id) do
// not poison the next build: Go's module zips and its build cache's
// outputs, in a namespace of this test's own (BUILDKIT_CACHE_MOUNT_NS), so
// the rest of the test bed keeps its caches; npm's content, which npm
// either refetches by itself or fails on (then Strata's repair runs); pip's
// built wheels.
func TestCorruptedCacheMountDoesNotPoison(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	cases := []struct {
		example string
		caches  map[string]string // cache id → what to truncate in it (find arguments)
		// deps makes the install new to the daemon (a cache mount's id is
		// no part of a step's cache key), source the app's answer
		deps, source func(t *testing.T, dir, tag string)
		steps        []string // what must run again after the corruption
		// recovered are the steps of which at least one must report the
		// damage and mend it
		recovered []string
		// toolMends is what the tool prints when it notices the damage and
		// mends it by itself, where it can (npm refetches a tarball whose
		// content fails its check, unless the damage fails the install)
		toolMends string
		check     func(t *testing.T, dir string, c *client.Client, attrs map[string]string)
	}{
		{
			example: "go-service",
			caches: map[string]string{
				"strata/go/mod":   `/c/cache/download -type f ( -name *.zip -o -name *.mod )`,
				"strata/go/build": `/c -type f -name *-d`,
			},
			deps: func(t *testing.T, dir, tag string) {
				edit(t, filepath.Join(dir, "go.mod"), "module", "// "+tag+"\nmodule")
			},
			source: func(t *testing.T, dir, tag string) {
				edit(t, filepath.Join(dir, "internal", "greet", "greet.go"), "hello from", "hello "+tag+" from")
			},
			steps:     []string{"go mod download", "go build ./cmd/api"},
			recovered: []string{"go mod download"},
			check: func(t *testing.T, dir string, c *client.Client, attrs map[string]string) {
				img := b.images(t, c, build{dir: dir, attrs: attrs})[0]
				addr := freeAddr(t)
				ctr := runImage(t, img, "ADDR="+addr)
				if got := get(t, ctr, addr, "/"); !strings.Contains(got, "hello "+run+" from go-service") {
					t.Errorf("GET / = %q", got)
				}
			},
		},
		{
			example: "node-express",
			caches:  map[string]string{"strata/node/npm": `/c/_cacache/content-v2 -type f`},
			deps:    func(t *testing.T, dir, _ string) { markRun(t, dir) },
			source: func(t *testing.T, dir, tag string) {
				edit(t, filepath.Join(dir, "src", "greet.ts"), "hello from", "hello "+tag+" from")
			},
			steps:     []string{"[deps 2/2] npm ci", "[prod-deps 1/2] remove dev dependencies"},
			recovered: []string{"[deps 2/2] npm ci"},
			toolMends: "seems to be corrupted. Trying again",
			check: func(t *testing.T, dir string, c *client.Client, attrs map[string]string) {
				checkNodeExpress(t, b.images(t, c, build{dir: dir, attrs: attrs})[0], "hello "+run+" from node-express")
			},
		},
		{
			// The index here sends no cache headers: pip's cache holds
			// only the wheel it built for psycopg2, an sdist.
			example: "python-flask",
			caches:  map[string]string{"strata/python/pip": `/c/wheels -type f -name *.whl`},
			deps: func(t *testing.T, dir, tag string) {
				appendFile(t, filepath.Join(dir, "requirements.txt"), "# "+tag+"\n")
			},
			source: func(t *testing.T, dir, tag string) {
				edit(t, filepath.Join(dir, "greet.py"), "hello from", "hello "+tag+" from")
			},
			steps:     []string{"pip install -r requirements.txt"},
			recovered: []string{"pip install -r requirements.txt"},
			check: func(t *testing.T, dir string, c *client.Client, attrs map[string]string) {
				img := b.images(t, c, build{dir: dir, attrs: attrs})[0]
				answers("", "PORT", "hello "+run+" from python-flask, libpq 1")(t, img)
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.example, func(t *testing.T) {
			t.Parallel()
			c := b.client(t)
			ns := "strata-it-corrupt-" + tc.example + "-" + run
			attrs := map[string]string{"build-arg:BUILDKIT_CACHE_MOUNT_NS": ns}
			dir := b.example(t, tc.example)
			tc.deps(t, dir, "first-"+run)
			if v, err := b.solve(t, c, build{dir: dir, attrs: attrs}); err != nil {
				t.Fatalf("the first build: %v\n%s", err, v.failures())
			}
			for id, what := range tc.caches {
				if n := b.truncateInCache(t, c, ns, id, what); n == 0 {
					t.Fatalf("no file to truncate in %s/%s", ns, id)
				}
			}
			tc.deps(t, dir, run)
			tc.source(t, dir, run)
			v, err := b.solve(t, c, build{dir: dir, attrs: attrs})
			if err != nil {
				t.Fatalf("the build after the corruption: %v\n%s", err, v.failures())
			}
			for _, s := range tc.steps {
				if v.cached(t, s) {
					t.Errorf("%s did not run again after the corruption", s)
				}
			}
			mended := false
			var logs strings.Builder
			for _, s := range tc.recovered {
				log := v.log(t, s)
				if strings.Contains(log, "strata: a failure that prints") {
					mended = true
					t.Logf("%s mended the cache", s)
				} else if tc.toolMends != "" && strings.Contains(log, tc.toolMends) {
					mended = true
					t.Logf("%s noticed the damage and mended it by itself", s)
				}
				logs.WriteString(s + ":\n" + log)
			}
			if !mended {
				t.Errorf("none of %q mended the cache:\n%s", tc.recovered, logs.String())
			}
			tc.check(t, dir, c, attrs)
		})
	}
}

// truncateInCache empties the files `find <what>` lists in Strata's cache
// mount with the given id and namespace, by a Dockerfile build on the same
// daemon, and returns how many it emptied. The Dockerfile frontend makes a
// cache id <namespace>/<id>, as Strata does when a namespace is set (and
// /<id> when none is).
func (b bed) truncateInCache(t *testing.T, c *client.Client, ns, id, what string) int {
	t.Helper()
	dir := t.TempDir()
	find := "find " + regexp.MustCompile(`([()*])`).ReplaceAllString(what, `\$1`)
	script := fmt.Sprintf("n=$(%s | wc -l); %s -exec truncate -s 0 {} +; echo truncated $n files # %d", find, find, time.Now().UnixNano())
	df := "FROM " + b.registry + "/library/debian:bookworm-slim\nRUN --mount=type=cache,id=" + id + ",target=/c " + script + "\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := b.solve(t, c, build{dir: dir, attrs: map[string]string{"build-arg:BUILDKIT_CACHE_MOUNT_NS": ns}})
	if err != nil {
		t.Fatalf("truncating in %s: %v\n%s", id, err, v.failures())
	}
	m := regexp.MustCompile(`truncated (\d+) files`).FindStringSubmatch(v.log(t, "truncate -s 0"))
	if m == nil {
		t.Fatalf("the truncating step printed %q", v.log(t, "truncate -s 0"))
	}
	n, _ := strconv.Atoi(m[1])
	t.Logf("truncated %d files in %s/%s", n, ns, id)
	return n
}
