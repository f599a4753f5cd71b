//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
)

// With SOURCE_DATE_EPOCH and the exporter's rewrite-timestamp, two cold
// builds on two empty daemons give the same image, byte for byte: the
// daemons share nothing but the registry the base images come from, and
// each fetches every package again. The second build of an example starts
// when the first has finished (the daemons take turns, each building
// another example meanwhile), so anything that records when a file was
// written differs between the two.
func TestReproducibleOnColdDaemons(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	examples := []string{"node-express", "node-pnpm", "python-fastapi", "python-poetry", "python-django", "python-uv", "python-pdm", "go-service"}
	daemons := []*client.Client{startDaemon(t, b), startDaemon(t, b)}
	dirs := map[string]string{}
	extra := map[string]map[string]string{} // example → the attrs its preparation gives
	for _, ex := range examples {
		dirs[ex] = b.example(t, ex)
		if prepare := prepares[ex]; prepare != nil {
			extra[ex] = prepare(t, b, dirs[ex])
		}
	}
	refs := map[string][]string{}    // example → the image each round pushed
	digests := map[string][]string{} // example → its digest in each round
	for round := range daemons {
		var (
			wg sync.WaitGroup
			mu sync.Mutex
		)
		start := time.Now()
		for i, ex := range examples {
			c := daemons[(i+round)%len(daemons)]
			ref := fmt.Sprintf("%s/strata-test/reproducible-%s:%d", b.registry, ex, round)
			wg.Add(1)
			go func() {
				defer wg.Done()
				attrs := map[string]string{"build-arg:SOURCE_DATE_EPOCH": "1700000000"}
				maps.Copy(attrs, extra[ex])
				v, err := b.solve(t, c, build{
					dir:     dirs[ex],
					attrs:   attrs,
					exports: pushTo(ref, "rewrite-timestamp=true"),
				})
				if err != nil {
					t.Errorf("%s, round %d: %v\n%s", ex, round, err, v.failures())
					return
				}
				mu.Lock()
				defer mu.Unlock()
				refs[ex] = append(refs[ex], ref)
				digests[ex] = append(digests[ex], v.exporter["containerimage.digest"])
			}()
		}
		wg.Wait()
		t.Logf("round %d: %s", round, time.Since(start).Round(time.Second))
		if t.Failed() {
			return
		}
	}
	for _, ex := range examples {
		d := digests[ex]
		if d[0] == "" || d[0] != d[1] {
			t.Errorf("%s: two cold builds gave %s and %s%s", ex, d[0], d[1], b.imageDiff(t, refs[ex][0], refs[ex][1]))
		}
	}
}

// imageDiff says which parts of two images differ, for a test's message.
func (b bed) imageDiff(t *testing.T, a, c string) string {
	t.Helper()
	read := func(ref string) (config string, layers []string) {
		repo, tag, _ := strings.Cut(strings.TrimPrefix(ref, b.registry+"/"), ":")
		var m struct {
			Config struct{ Digest string }   `json:"config"`
			Layers []struct{ Digest string } `json:"layers"`
		}
		if err := json.Unmarshal(b.registryGet(t, "/v2/"+repo+"/manifests/"+tag, acceptManifests), &m); err != nil {
			t.Fatal(err)
		}
		for _, l := range m.Layers {
			layers = append(layers, l.Digest)
		}
		return m.Config.Digest, layers
	}
	ca, la := read(a)
	cc, lc := read(c)
	var out strings.Builder
	if ca != cc {
		out.WriteString("\nconfigs differ")
	}
	for i := range max(len(la), len(lc)) {
		if i >= len(la) || i >= len(lc) || la[i] != lc[i] {
			fmt.Fprintf(&out, "\nlayer %d differs", i)
		}
	}
	return out.String()
}
