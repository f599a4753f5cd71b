//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"

	"github.com/strata-build/strata/internal/imagerun"
)

// A secret sweep: everything a build leaves behind that someone other than
// the builder may read, searched for a secret's value.
//
// exportedBuild builds with a provenance attestation of the whole build
// (mode=max) into an OCI tarball (manifests, configs with their history,
// every layer, the attestation), and exports the cache of every
// intermediate result (mode=max) both to a local directory and to the test
// bed's registry, which it pulls back into the same directory. It returns
// the image, the tarball and that directory: secretIn and noSecret search
// both.
func (b bed) exportedBuild(t testing.TB, c *client.Client, bu build) (imagerun.Image, string, string) {
	t.Helper()
	tmp := t.TempDir()
	tarPath, cache := filepath.Join(tmp, "image.tar"), filepath.Join(tmp, "cache")
	ref := b.registry + "/strata-it/sweep:" + strconv.FormatInt(time.Now().UnixNano(), 36)
	bu.exports = ociExport(tarPath)
	bu.cacheTo = []client.CacheOptionsEntry{
		{Type: "local", Attrs: map[string]string{"dest": filepath.Join(cache, "local"), "mode": "max"}},
		{Type: "registry", Attrs: map[string]string{"ref": ref, "mode": "max"}},
	}
	attrs := map[string]string{"attest:provenance": "mode=max"}
	for k, v := range bu.attrs {
		attrs[k] = v
	}
	bu.attrs = attrs
	v, err := b.solve(t, c, bu)
	if err != nil {
		t.Fatalf("%v\n%s", err, v.failures())
	}
	b.pullBlobs(t, ref, filepath.Join(cache, "registry"))
	if len(secretIn(t, tarPath, "slsa.dev/provenance")) == 0 {
		t.Fatalf("%s holds no provenance attestation: the sweep would not search one", tarPath)
	}
	// what the build printed is searched too: the logs are its output
	if err := os.WriteFile(filepath.Join(cache, "logs"), []byte(strings.Join(slices.Collect(mapValues(v.logs)), "\n")+strings.Join(v.warnings, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return readOCI(t, tarPath)[0], tarPath, cache
}

func mapValues(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for _, v := range m {
			if !yield(v) {
				return
			}
		}
	}
}

// pullBlobs writes every blob the registry holds under ref (the index or
// manifest, configs, layers, nested manifests) into dir.
func (b bed) pullBlobs(t testing.TB, ref, dir string) {
	t.Helper()
	repo, tag, _ := strings.Cut(strings.TrimPrefix(ref, b.registry+"/"), ":")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// tryGet returns what the registry serves at kind/name; an error when
	// it does not serve it (not 200).
	tryGet := func(kind, name string) ([]byte, error) {
		req, err := http.NewRequest(http.MethodGet, "http://"+b.registry+"/v2/"+repo+"/"+kind+"/"+name, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept", "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		dt, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("%s", resp.Status)
		}
		return dt, err
	}
	get := func(kind, name string) []byte {
		dt, err := tryGet(kind, name)
		if err != nil {
			t.Fatalf("GET %s %s of %s: %v", kind, name, repo, err)
		}
		return dt
	}
	type desc struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
	}
	var walk func(dt []byte)
	seen := map[string]bool{}
	walk = func(dt []byte) {
		var doc struct {
			Config    *desc  `json:"config"`
			Layers    []desc `json:"layers"`
			Manifests []desc `json:"manifests"`
		}
		if err := json.Unmarshal(dt, &doc); err != nil {
			t.Fatalf("a manifest of %s: %v", ref, err)
		}
		all := slices.Concat(doc.Layers, doc.Manifests)
		if doc.Config != nil {
			all = append(all, *doc.Config)
		}
		for _, d := range all {
			if seen[d.Digest] {
				continue
			}
			seen[d.Digest] = true
			// An image's nested manifests were pushed as manifests, a
			// registry cache's may be plain blobs.
			var blob []byte
			if isManifest := strings.Contains(d.MediaType, "manifest") || strings.Contains(d.MediaType, "index"); isManifest {
				if dt, err := tryGet("manifests", d.Digest); err == nil {
					blob = dt
				}
			}
			if blob == nil {
				blob = get("blobs", d.Digest)
			}
			if err := os.WriteFile(filepath.Join(dir, strings.ReplaceAll(d.Digest, ":", "-")), blob, 0o644); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(d.MediaType, "manifest") || strings.Contains(d.MediaType, "index") {
				walk(blob)
			}
		}
	}
	top := get("manifests", tag)
	if err := os.WriteFile(filepath.Join(dir, "top.json"), top, 0o644); err != nil {
		t.Fatal(err)
	}
	walk(top)
	if len(seen) < 2 {
		t.Fatalf("the registry cache %s lists %d blobs", ref, len(seen))
	}
}

// failedWithout fails the test when a build that failed names any of the
// secrets in its error or in what any step printed; the build must have
// failed in the step named like step, which had the secrets.
func failedWithout(t *testing.T, v report, err error, step string, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("the build meant to fail in %q passed", step)
	}
	if !slices.ContainsFunc(v.failed, func(n string) bool { return strings.Contains(n, step) }) {
		t.Errorf("the build failed in %q, not in %q: %v", v.failed, step, err)
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) || strings.Contains(fmt.Sprintf("%+v", err), s) {
			t.Errorf("the error names the secret %q: %v", s, err)
		}
		for name, log := range v.logs {
			if strings.Contains(log, s) {
				t.Errorf("step %s printed the secret %q", name, s)
			}
		}
	}
	t.Logf("failed as meant: %v", firstLine(err.Error()))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// onlyInProvenance fails unless every place secret was found is a
// provenance attestation (which records build args, by design).
func onlyInProvenance(t *testing.T, tarPath, secret string) {
	t.Helper()
	found := secretIn(t, tarPath, secret)
	if len(found) == 0 {
		t.Fatalf("the build arg is not even in the provenance attestation of %s", tarPath)
	}
	blobs := readTar(t, tarPath)
	for _, f := range found {
		if !bytes.Contains(blobs[strings.TrimSuffix(f, " (uncompressed)")], []byte("slsa.dev/provenance")) {
			t.Errorf("the build arg's secret is in %s, not a provenance attestation", f)
		}
	}
}

// readTar is every file of a tarball, by name.
func readTar(t testing.TB, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		if out[h.Name], err = io.ReadAll(tr); err != nil {
			t.Fatal(err)
		}
	}
}
