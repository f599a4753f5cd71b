//go:build integration

package integration

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// scanScript is a stand-in SBOM generator that follows BuildKit's scanner
// protocol: the image's state is mounted at $BUILDKIT_SCAN_SOURCE, each
// extra state (a scanned stage, the context) in a directory of its own
// under $BUILDKIT_SCAN_SOURCE_EXTRAS, and every in-toto statement written
// to $BUILDKIT_SCAN_DESTINATION becomes an attestation. It lists the files
// that name dependencies, one SPDX document per state, named after it.
const scanScript = `#!/bin/sh
set -eu
scan() {
	cd "$1"
	{
		printf '{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://spdx.dev/Document","subject":[],"predicate":'
		printf '{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"%s","documentNamespace":"https://strata.invalid/%s",' "$2" "$2"
		printf '"creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: strata-test-scanner"]},"files":['
		find . -type f \( -name go.mod -o -name go.sum -o -name package.json -o -name package-lock.json -o -name server.js -o -name METADATA \) \
			-not -path './usr/*' -not -path './proc/*' | sort |
			awk 'NR > 1 { printf "," } { printf "{\"fileName\":\"%s\",\"SPDXID\":\"SPDXRef-File-%d\"}", $0, NR }'
		printf ']}}\n'
	} > "$BUILDKIT_SCAN_DESTINATION/$2.spdx.json"
}
scan "$BUILDKIT_SCAN_SOURCE" sbom
for d in ${BUILDKIT_SCAN_SOURCE_EXTRAS:+"$BUILDKIT_SCAN_SOURCE_EXTRAS"/*}; do
	scan "$d" "$(basename "$d")"
done
`

var (
	scannerOnce sync.Once
	scannerRef  string
)

// scanner builds and pushes the stand-in generator once per run.
func (b bed) scanner(t *testing.T) string {
	t.Helper()
	scannerOnce.Do(func() {
		dir := t.TempDir()
		files := map[string]string{
			"Dockerfile": "FROM debian:bookworm\nCOPY scan.sh /scan.sh\nENTRYPOINT [\"/bin/sh\", \"/scan.sh\"]\n",
			"scan.sh":    scanScript,
		}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		ref := b.registry + "/strata-test/sbom-scanner:latest"
		if v, err := b.solve(t, b.client(t), build{dir: dir, exports: pushTo(ref)}); err != nil {
			t.Fatalf("push the scanner: %v\n%s", err, v.failures())
		}
		scannerRef = ref
	})
	if scannerRef == "" {
		t.Fatal("the stand-in scanner did not build")
	}
	return scannerRef
}

// --sbom runs the generator on the image and on the stage the provider
// marks as holding the dependencies, and attaches what it wrote to the
// pushed image: the builder's lockfiles and installed modules are listed
// although the runtime image lacks them.
func TestSBOMScansDependencyStages(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	gen := b.scanner(t)
	cases := []struct {
		example string
		core    []string // files the image's own SBOM lists
		deps    []string // files the deps stage's lists
		only    []string // of those, the ones the image lacks
	}{
		{"node-express", []string{"./app/dist/server.js", "./app/node_modules/express/package.json"},
			[]string{"./app/package-lock.json", "./app/node_modules/typescript/package.json"},
			[]string{"./app/node_modules/typescript/package.json"}}, // a dev dependency
		{"go-service", nil, []string{"./src/go.mod", "./src/go.sum"}, []string{"./src/go.mod", "./src/go.sum"}},
	}
	for _, tc := range cases {
		t.Run(tc.example, func(t *testing.T) {
			t.Parallel()
			image := b.registry + "/strata-test/sbom-" + tc.example + ":latest"
			v, err := b.solve(t, b.client(t), build{
				dir:     b.example(t, tc.example),
				attrs:   map[string]string{"attest:sbom": "generator=" + gen},
				exports: pushTo(image),
			})
			if err != nil {
				t.Fatalf("%v\n%s", err, v.failures())
			}
			docs := map[string][]string{} // SPDX document name → files
			for _, s := range b.attestations(t, image) {
				if s.PredicateType != "https://spdx.dev/Document" {
					continue
				}
				var doc struct {
					Name  string `json:"name"`
					Files []struct {
						FileName string `json:"fileName"`
					} `json:"files"`
				}
				if err := json.Unmarshal(s.Predicate, &doc); err != nil {
					t.Fatalf("SBOM: %v", err)
				}
				for _, f := range doc.Files {
					docs[doc.Name] = append(docs[doc.Name], f.FileName)
				}
				if _, ok := docs[doc.Name]; !ok {
					docs[doc.Name] = nil
				}
			}
			names := slices.Sorted(maps.Keys(docs))
			if !slices.Equal(names, []string{"sbom", "sbom-deps"}) {
				t.Fatalf("SBOM documents %q, want the image's (sbom) and the deps stage's (sbom-deps)", names)
			}
			for doc, want := range map[string][]string{"sbom": tc.core, "sbom-deps": tc.deps} {
				for _, f := range want {
					if !slices.Contains(docs[doc], f) {
						t.Errorf("%s does not list %s: %q", doc, f, docs[doc])
					}
				}
			}
			// What only the builder had is not in the image's own SBOM.
			for _, f := range tc.only {
				if slices.Contains(docs["sbom"], f) {
					t.Errorf("the image itself holds %s: the deps scan proves nothing", f)
				}
			}
			if !slices.ContainsFunc(slices.Collect(maps.Keys(v.ran)), func(n string) bool { return strings.Contains(n, "generating sbom using "+gen) }) {
				t.Errorf("no step ran the generator %s", gen)
			}
		})
	}
}
