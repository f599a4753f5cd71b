//go:build integration

package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/moby/buildkit/client"
)

// Reading what a build pushed to the test bed's registry: the index, its
// attestation manifests and their in-toto statements.

const (
	acceptManifests = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, " +
		"application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json"
	attestationManifest = "attestation-manifest" // vnd.docker.reference.type of one
)

type ociDescriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Annotations map[string]string `json:"annotations"`
	Platform    *struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
	} `json:"platform"`
}

type ociManifest struct {
	MediaType string          `json:"mediaType"`
	Manifests []ociDescriptor `json:"manifests"`
	Layers    []ociDescriptor `json:"layers"`
}

// statement is one in-toto statement of an attestation manifest.
type statement struct {
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
	// Raw is the whole layer, for searching it.
	Raw []byte `json:"-"`
	// Annotations are the layer's (in-toto.io/predicate-type …).
	Annotations map[string]string `json:"-"`
}

// registryGet fetches a path of the registry's API (/v2/…).
func (b bed) registryGet(t testing.TB, path, accept string) []byte {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+b.registry+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	dt, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v: %s", path, resp.Status, err, dt)
	}
	return dt
}

// manifest reads the manifest or index ref (tag or digest) of repo.
func (b bed) manifest(t testing.TB, repo, ref string) ociManifest {
	t.Helper()
	var m ociManifest
	if err := json.Unmarshal(b.registryGet(t, "/v2/"+repo+"/manifests/"+ref, acceptManifests), &m); err != nil {
		t.Fatalf("manifest %s:%s: %v", repo, ref, err)
	}
	return m
}

// attestations are the in-toto statements attached to the linux/amd64
// image of a pushed index (image is the name pushed, registry included).
func (b bed) attestations(t testing.TB, image string) []statement {
	t.Helper()
	repo, tag, _ := strings.Cut(strings.TrimPrefix(image, b.registry+"/"), ":")
	if tag == "" {
		tag = "latest"
	}
	index := b.manifest(t, repo, tag)
	var imageDigest string
	for _, d := range index.Manifests {
		if d.Platform != nil && d.Platform.OS == "linux" && d.Platform.Architecture == "amd64" && d.Annotations["vnd.docker.reference.type"] == "" {
			imageDigest = d.Digest
		}
	}
	if imageDigest == "" {
		t.Fatalf("%s lists no linux/amd64 image: %+v", image, index.Manifests)
	}
	var out []statement
	for _, d := range index.Manifests {
		if d.Annotations["vnd.docker.reference.type"] != attestationManifest || d.Annotations["vnd.docker.reference.digest"] != imageDigest {
			continue
		}
		for _, l := range b.manifest(t, repo, d.Digest).Layers {
			raw := b.registryGet(t, "/v2/"+repo+"/blobs/"+l.Digest, "")
			var s statement
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatalf("attestation layer %s of %s: %v", l.Digest, image, err)
			}
			s.Raw, s.Annotations = raw, l.Annotations
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s has no attestation manifest for its image %s: %+v", image, imageDigest, index.Manifests)
	}
	return out
}

// pushTo is an export that pushes the image to the test bed's registry.
func pushTo(ref string, attrs ...string) []client.ExportEntry {
	a := map[string]string{"name": ref, "push": "true"}
	for _, kv := range attrs {
		k, v, _ := strings.Cut(kv, "=")
		a[k] = v
	}
	return []client.ExportEntry{{Type: client.ExporterImage, Attrs: a}}
}
