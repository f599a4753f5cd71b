//go:build integration

// Package integration drives Strata as users do, through the frontend image
// named in `# syntax=`, against the real BuildKit that hack/up.sh starts.
// Run it with hack/test.sh, which sets the test bed up and tears it down.
package integration

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	digest "github.com/opencontainers/go-digest"
	"github.com/tonistiigi/fsutil"

	"github.com/strata-build/strata/internal/imagerun"
)

// bed is the test bed hack/lib.sh describes through the environment.
type bed struct {
	addr     string // buildkitd address
	root     string // repository root
	run      string // scratch dir for outputs
	registry string
}

func testBed(t testing.TB) bed {
	t.Helper()
	b := bed{addr: os.Getenv("STRATA_BUILDKIT_ADDR"), root: os.Getenv("STRATA_ROOT"), run: os.Getenv("STRATA_RUN"), registry: os.Getenv("STRATA_REGISTRY")}
	if b.addr == "" || b.root == "" || b.registry == "" {
		t.Fatal("the test bed is not up: run these tests with hack/test.sh (it starts buildkitd and the registry)")
	}
	return b
}

func (b bed) client(t testing.TB) *client.Client {
	t.Helper()
	c, err := client.New(context.Background(), b.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// example copies examples/<name> into a temp dir the test may edit.
func (b bed) example(t testing.TB, name string) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join(b.root, "examples", name)
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		dt, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, dt, info.Mode())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// build is one solve through the dockerfile.v0 frontend, which follows the
// `# syntax=` line to the Strata image, as buildctl and buildx do.
type build struct {
	dir      string
	dfDir    string // the Dockerfile's directory when it is not dir
	attrs    map[string]string
	exports  []client.ExportEntry
	cacheTo  []client.CacheOptionsEntry
	cacheFrm []client.CacheOptionsEntry
	session  []session.Attachable
	ctx      context.Context           // cancels the solve; a 10-minute limit when nil
	watch    func(*client.SolveStatus) // sees every status update as it arrives
}

// report is what the solve status stream said about each vertex, by name:
// whether BuildKit took it from cache, and how many bytes it transferred.
type report struct {
	ran         map[string]bool
	transferred map[string]int64
	warnings    []string
	logs        map[string]string // what each vertex printed
	failed      []string          // the vertices that failed, by name
	// when each vertex that ran started and completed (of its last run)
	started, completed map[string]time.Time
	exporter           map[string]string // the exporters' response (containerimage.digest …)
}

// failures is what the failed vertices printed, for a test's message.
func (r report) failures() string {
	var out strings.Builder
	for _, name := range r.failed {
		out.WriteString(name + ":\n" + r.logs[name])
	}
	return out.String()
}

// cached looks a vertex up by a part of its name.
func (r report) cached(t testing.TB, part string) bool {
	t.Helper()
	for name, ran := range r.ran {
		if strings.Contains(name, part) {
			return !ran
		}
	}
	names := make([]string, 0, len(r.ran))
	for n := range r.ran {
		names = append(names, n)
	}
	t.Fatalf("no vertex named like %q among %q", part, names)
	return false
}

// log is what the vertex named like part printed.
func (r report) log(t testing.TB, part string) string {
	t.Helper()
	for name, out := range r.logs {
		if strings.Contains(name, part) {
			return out
		}
	}
	names := make([]string, 0, len(r.logs))
	for n := range r.logs {
		names = append(names, n)
	}
	t.Fatalf("no log of a vertex named like %q among %q", part, names)
	return ""
}

func (b bed) solve(t testing.TB, c *client.Client, bu build) (report, error) {
	t.Helper()
	ctxFS, err := fsutil.NewFS(bu.dir)
	if err != nil {
		t.Fatal(err)
	}
	dfFS := ctxFS
	if bu.dfDir != "" {
		if dfFS, err = fsutil.NewFS(bu.dfDir); err != nil {
			t.Fatal(err)
		}
	}
	ch := make(chan *client.SolveStatus)
	got := report{ran: map[string]bool{}, transferred: map[string]int64{}, logs: map[string]string{},
		started: map[string]time.Time{}, completed: map[string]time.Time{}}
	names := map[digest.Digest]string{}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for st := range ch {
			if bu.watch != nil {
				bu.watch(st)
			}
			for _, v := range st.Vertexes {
				names[v.Digest] = v.Name
				if v.Started != nil && !v.Cached {
					got.started[v.Name] = *v.Started
				}
				if v.Completed != nil && !v.Cached {
					got.completed[v.Name] = *v.Completed
				}
				// A vertex that ran is reported again as cached when the
				// result is exported: one uncached completion means it ran.
				if v.Completed != nil {
					got.ran[v.Name] = got.ran[v.Name] || !v.Cached
				}
				if v.Error != "" && !slices.Contains(got.failed, v.Name) {
					got.failed = append(got.failed, v.Name)
				}
			}
			for _, l := range st.Logs {
				got.logs[names[l.Vertex]] += string(l.Data)
			}
			for _, w := range st.Warnings {
				got.warnings = append(got.warnings, string(w.Short))
			}
			for _, s := range st.Statuses {
				if strings.HasPrefix(s.ID, "transferring") {
					name := names[s.Vertex]
					got.transferred[name] = max(got.transferred[name], s.Current)
				}
			}
		}
	}()
	attrs := map[string]string{} // BuildKit adds cache attrs to this map
	for k, v := range bu.attrs {
		attrs[k] = v
	}
	parent := bu.ctx
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithTimeout(parent, 10*time.Minute)
	defer cancel()
	resp, err := c.Solve(ctx, nil, client.SolveOpt{
		Frontend:      "dockerfile.v0",
		FrontendAttrs: attrs,
		LocalMounts:   map[string]fsutil.FS{"context": ctxFS, "dockerfile": dfFS},
		Exports:       bu.exports,
		CacheExports:  bu.cacheTo,
		CacheImports:  bu.cacheFrm,
		Session:       bu.session,
		// as buildx does, one key per context directory: tests that run at
		// once do not sync their contexts into one shared snapshot
		SharedKey: digest.FromString(bu.dir + "|" + bu.dfDir).Encoded(),
	}, ch)
	wg.Wait()
	if resp != nil {
		got.exporter = resp.ExporterResponse
	}
	return got, err
}

// ociExport writes the image as an OCI layout tarball at path.
func ociExport(path string) []client.ExportEntry {
	return []client.ExportEntry{{
		Type: client.ExporterOCI,
		Output: func(map[string]string) (io.WriteCloser, error) {
			return os.Create(path)
		},
	}}
}

// command runs a tool of the test bed and returns its combined output.
func command(t testing.TB, dir string, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	// Python tools on the host read the host's CA bundle only when told.
	cmd.Env = append(os.Environ(), "REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// images builds and returns the result's images, one per platform.
func (b bed) images(t testing.TB, c *client.Client, bu build) []imagerun.Image {
	t.Helper()
	imgs, _ := b.imagesAndReport(t, c, bu)
	return imgs
}

// imagesAndReport builds, returning the images and what the solve said of
// each step.
func (b bed) imagesAndReport(t testing.TB, c *client.Client, bu build) ([]imagerun.Image, report) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "image.tar")
	bu.exports = ociExport(out)
	r, err := b.solve(t, c, bu)
	if err != nil {
		t.Fatal(err)
	}
	return readOCI(t, out), r
}

// edit replaces the first old in a file with new, as a developer would:
// content the daemon has not seen, so what depends on it must re-run.
func edit(t testing.TB, path, old, new string) {
	t.Helper()
	dt, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(dt, []byte(old)) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, bytes.Replace(dt, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}
