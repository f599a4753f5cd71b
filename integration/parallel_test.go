//go:build integration

package integration

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-build/strata/internal/imagerun"
)

// variant is one app of a parallel run: an example copied and edited so
// that its image carries a response of its own, and its install step is
// new to the daemon (so the installs of one app run at the same time on
// the same cache mount, rather than one taking the other's result).
type variant struct {
	name    string
	dir     string
	attrs   map[string]string
	install string                           // the dependency step, by a part of its name
	check   func(*testing.T, imagerun.Image) // the image answers as this variant
}

// Nine builds at once on the one daemon: three variants each of a Go, a
// Node and a Python example, the variants of an app sharing Strata's cache
// mounts (strata/go/mod and /build, the npm cache, pip's). Every build
// succeeds, each image answers with its own variant's response, and the
// installs of one app did run concurrently.
// Not parallel with other tests: it asserts that its own installs overlap
// in time, which it should see on a daemon busy with nothing else.
func TestParallelBuilds(t *testing.T) {
	b := testBed(t)
	c := b.client(t)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	var vs []variant
	for i := range 3 {
		tag := fmt.Sprintf("p%d-%s", i, run)

		dir := b.example(t, "go-service")
		edit(t, filepath.Join(dir, "go.mod"), "module", "// "+tag+"\nmodule")
		vs = append(vs, variant{name: "go-service " + tag, dir: dir, attrs: map[string]string{"build-arg:VERSION": tag},
			install: "go mod download",
			check:   func(t *testing.T, img imagerun.Image) { checkService(t, img, tag) }})

		dir = b.example(t, "node-express")
		markRun(t, dir)
		edit(t, filepath.Join(dir, "src", "greet.ts"), "hello from node-express", "hello from node-express "+tag)
		vs = append(vs, variant{name: "node-express " + tag, dir: dir, install: "[deps 2/2] npm ci",
			check: func(t *testing.T, img imagerun.Image) { checkNodeExpress(t, img, "hello from node-express "+tag) }})

		dir = b.example(t, "python-fastapi")
		appendFile(t, filepath.Join(dir, "requirements.txt"), "# "+tag+"\n")
		edit(t, filepath.Join(dir, "greet.py"), "hello from python-fastapi", "hello from python-fastapi "+tag)
		vs = append(vs, variant{name: "python-fastapi " + tag, dir: dir, install: "pip install -r requirements.txt",
			check: answers("UVICORN_HOST", "UVICORN_PORT", `"hello from python-fastapi `+tag+`"`)})
	}

	// Goroutines, not parallel subtests: -parallel would cap how many
	// builds run at once.
	imgs := make([]imagerun.Image, len(vs))
	reports := make([]report, len(vs))
	errs := make([]error, len(vs))
	var wg sync.WaitGroup
	start := time.Now()
	for i, v := range vs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := filepath.Join(t.TempDir(), "image.tar")
			reports[i], errs[i] = b.solve(t, c, build{dir: v.dir, attrs: v.attrs, exports: ociExport(out)})
			if errs[i] == nil {
				var got []imagerun.Image
				if got, errs[i] = imagerun.Read(out); errs[i] == nil {
					imgs[i] = got[0]
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d builds at once took %s", len(vs), time.Since(start).Round(time.Second))
	for i, v := range vs {
		if errs[i] != nil {
			t.Errorf("%s: %v\n%s", v.name, errs[i], reports[i].failures())
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	for i, v := range vs {
		t.Run(v.name, func(t *testing.T) {
			if reports[i].cached(t, v.install) {
				t.Errorf("%s was taken from cache: the variant is not new to the daemon", v.install)
			}
			v.check(t, imgs[i])
		})
	}

	// The variants' installs overlapped in time: the shared cache mounts
	// were used concurrently, not one build after another.
	for app := range 3 {
		overlapped := false
		for i := app; i < len(vs); i += 3 {
			for j := i + 3; j < len(vs); j += 3 {
				if overlap(reports[i], reports[j], vs[i].install) {
					overlapped = true
				}
			}
		}
		if !overlapped {
			t.Errorf("no two installs of %s ran at the same time", vs[app].name)
		}
	}
}

// overlap reports whether the step named like part ran in both reports at
// times that overlap.
func overlap(a, b report, part string) bool {
	as, ae, ok1 := span(a, part)
	bs, be, ok2 := span(b, part)
	return ok1 && ok2 && as.Before(be) && bs.Before(ae)
}

func span(r report, part string) (time.Time, time.Time, bool) {
	for name, s := range r.started {
		if e, ok := r.completed[name]; ok && strings.Contains(name, part) {
			return s, e, true
		}
	}
	return time.Time{}, time.Time{}, false
}
