//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/moby/buildkit/client"
)

// With SOURCE_DATE_EPOCH and the exporter's rewrite-timestamp, two cold
// builds on two empty daemons give the same image, byte for byte: the
// daemons share nothing but the registry the base images come from, and
// each fetches every package again.
func TestReproducibleOnColdDaemons(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	examples := []string{"node-express", "python-fastapi"}
	daemons := []*client.Client{startDaemon(t, b), startDaemon(t, b)}
	for _, example := range examples {
		t.Run(example, func(t *testing.T) {
			t.Parallel()
			dir := b.example(t, example)
			digests := make([]string, len(daemons))
			refs := make([]string, len(daemons))
			var wg sync.WaitGroup
			for i, c := range daemons {
				refs[i] = b.registry + "/strata-test/reproducible-" + example + ":" + fmt.Sprint(i)
				wg.Add(1)
				go func() {
					defer wg.Done()
					v, err := b.solve(t, c, build{
						dir:     dir,
						attrs:   map[string]string{"build-arg:SOURCE_DATE_EPOCH": "1700000000"},
						exports: pushTo(refs[i], "rewrite-timestamp=true"),
					})
					if err != nil {
						t.Errorf("build on daemon %d: %v\n%s", i, err, v.failures())
						return
					}
					digests[i] = v.exporter["containerimage.digest"]
				}()
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			if digests[0] == "" || digests[0] != digests[1] {
				t.Errorf("two cold builds gave %s and %s%s", digests[0], digests[1], b.imageDiff(t, refs[0], refs[1]))
			}
		})
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
