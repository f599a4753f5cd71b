//go:build integration

package integration

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
)

// localCADir holds the CAs this machine re-signs outbound TLS with; the
// stand-in images carry them in their bundles, as a company's own images
// would carry its CA.
const localCADir = "/usr/local/share/ca-certificates"

// A network whose TLS is re-signed by a CA the builder image does not
// trust: builder images whose bundle lacks this machine's CAs (built here
// from the stand-ins) fail to fetch on an empty daemon; given the CAs as
// --secret id=ca, every fetching step trusts them besides the system's,
// the apps build and answer, and the CA is in no layer of the builder
// image nor in the cache export.
func TestCABundleSecret(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	ca := localCAs(t)
	cases := []struct{ example, builder, fetch, argv string }{
		{"go-service", "golang:1.26", "go mod download", "go mod download"},
		{"node-express", "node:26", "npm ci", "npm ci"},
		{"python-fastapi", "python:3.13", "pip install -r requirements.txt", "-m pip install"},
	}
	noCA := map[string]string{}
	for _, tc := range cases {
		noCA[tc.builder] = b.pushWithoutLocalCAs(t, tc.builder)
	}
	cold := startDaemon(t, b)
	withCA := []session.Attachable{secretsprovider.FromMap(map[string][]byte{"ca": ca})}
	for _, tc := range cases {
		t.Run(tc.example, func(t *testing.T) {
			dir := b.example(t, tc.example)
			attrs := map[string]string{"context:" + tc.builder: "docker-image://" + noCA[tc.builder]}
			v, err := b.solve(t, cold, build{dir: dir, attrs: attrs})
			if err == nil {
				t.Fatalf("%s fetched through a CA the builder does not trust", tc.fetch)
			}
			// Go and pip name the certificate; npm gives up after its retries.
			if !strings.Contains(err.Error(), tc.argv) || tc.example != "node-express" && !strings.Contains(v.log(t, "] "+tc.fetch), "certificate") {
				t.Errorf("the build failed, but not in %s on the certificate: %v\n%s", tc.fetch, err, v.log(t, "] "+tc.fetch))
			}

			img := b.images(t, cold, build{dir: dir, attrs: attrs, session: withCA})[0]
			servers[tc.example](t, img)

			// The builder image and the cache export hold no copy of the CA
			// in the layers the build adds (the stand-in's own lower layers
			// still hold this machine's bundle, which the test image's top
			// layer only hides).
			build := build{dir: dir, attrs: map[string]string{"target": "build"}, session: withCA}
			for k, val := range attrs {
				build.attrs[k] = val
			}
			_, tarPath, cache := b.exportedBuild(t, cold, build)
			base := b.layerDigests(t, noCA[tc.builder])
			marker := caMarker(t, ca)
			for _, p := range []string{tarPath, cache} {
				for _, f := range secretIn(t, p, marker) {
					if !slices.ContainsFunc(base, func(d string) bool { return strings.Contains(f, d) }) {
						t.Errorf("the CA is in %s: %s", p, f)
					}
				}
			}
		})
	}
}

// localCAs are this machine's own CAs, PEM.
func localCAs(t testing.TB) []byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(localCADir, "*.crt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CA in %s: %v", localCADir, err)
	}
	var out []byte
	for _, f := range files {
		dt, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(append(out, bytes.TrimSpace(dt)...), '\n')
	}
	return out
}

// caMarker is a line of the CA's base64 body: found in a file, it is the
// CA, not a bundle that merely names it.
func caMarker(t testing.TB, ca []byte) string {
	t.Helper()
	block, _ := pem.Decode(ca)
	if block == nil {
		t.Fatal("the local CA is not PEM")
	}
	lines := strings.Split(strings.TrimSpace(string(pem.EncodeToMemory(block))), "\n")
	return lines[len(lines)/2]
}

// pushWithoutLocalCAs pushes a copy of a stand-in builder image whose CA
// bundle lacks this machine's CAs, and returns its reference.
func (b bed) pushWithoutLocalCAs(t *testing.T, image string) string {
	t.Helper()
	host, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		t.Fatal(err)
	}
	local := map[string]bool{}
	for rest := localCAs(t); ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		local[string(block.Bytes)] = true
	}
	var bundle []byte
	removed := 0
	for rest := host; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if local[string(block.Bytes)] {
			removed++
			continue
		}
		bundle = append(bundle, pem.EncodeToMemory(block)...)
	}
	if removed == 0 {
		t.Fatal("the host bundle holds none of the local CAs: the test would prove nothing")
	}
	dir := t.TempDir()
	files := map[string]string{
		"Dockerfile":          "FROM " + image + "\nCOPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n",
		"ca-certificates.crt": string(bundle),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ref := b.registry + "/strata-test/" + strings.ReplaceAll(image, ":", "-no-local-ca:")
	exports := []client.ExportEntry{{Type: client.ExporterImage, Attrs: map[string]string{"name": ref, "push": "true"}}}
	if _, err := b.solve(t, b.client(t), build{dir: dir, exports: exports}); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	return ref
}

// layerDigests are the hex digests of an image's layers in the test bed's
// registry (of its first manifest, when the tag is an index).
func (b bed) layerDigests(t testing.TB, ref string) []string {
	t.Helper()
	repo, tag, _ := strings.Cut(strings.TrimPrefix(ref, b.registry+"/"), ":")
	var m struct {
		Layers    []struct{ Digest string } `json:"layers"`
		Manifests []struct{ Digest string } `json:"manifests"`
	}
	for range 2 {
		req, err := http.NewRequest(http.MethodGet, "http://"+b.registry+"/v2/"+repo+"/manifests/"+tag, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("manifest of %s: %v (%s)", ref, err, resp.Status)
		}
		if len(m.Layers) > 0 || len(m.Manifests) == 0 {
			break
		}
		tag = m.Manifests[0].Digest
	}
	if len(m.Layers) == 0 {
		t.Fatalf("manifest of %s lists no layers", ref)
	}
	var out []string
	for _, l := range m.Layers {
		out = append(out, strings.TrimPrefix(l.Digest, "sha256:"))
	}
	return out
}
