package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"

	"github.com/moby/buildkit/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

const manifestAccept = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json"

// manifest is what the benchmark reads of an image manifest or index.
type manifest struct {
	Manifests []ocispecs.Descriptor `json:"manifests"`
	Layers    []ocispecs.Descriptor `json:"layers"`
}

func getManifest(ctx context.Context, registry, repo, ref string) (manifest, error) {
	var m manifest
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/v2/%s/manifests/%s", registry, repo, ref), nil)
	if err != nil {
		return m, err
	}
	req.Header.Set("Accept", manifestAccept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return m, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return m, fmt.Errorf("%s/%s@%s: %s", registry, repo, ref, resp.Status)
	}
	return m, json.NewDecoder(resp.Body).Decode(&m)
}

// manifestBytes is the compressed size of an image's layers, from the
// registry; an index counts its linux/amd64 image.
func manifestBytes(ctx context.Context, registry, repo, ref string) (int64, error) {
	m, err := getManifest(ctx, registry, repo, ref)
	if err != nil {
		return 0, err
	}
	if len(m.Manifests) > 0 {
		for _, d := range m.Manifests {
			if d.Platform != nil && d.Platform.OS == "linux" && d.Platform.Architecture == "amd64" {
				return manifestBytes(ctx, registry, repo, d.Digest.String())
			}
		}
		return 0, fmt.Errorf("%s/%s@%s: no linux/amd64 image in the index", registry, repo, ref)
	}
	var n int64
	for _, l := range m.Layers {
		n += l.Size
	}
	return n, nil
}

// imageLayers are the layers of an image, or of every platform's image of
// an index (attestation manifests, platform unknown, left out), by digest
// with their compressed sizes.
func imageLayers(ctx context.Context, registry, repo, ref string) (map[string]int64, error) {
	m, err := getManifest(ctx, registry, repo, ref)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, l := range m.Layers {
		out[l.Digest.String()] = l.Size
	}
	for _, d := range m.Manifests {
		if d.Platform != nil && d.Platform.OS == "unknown" {
			continue
		}
		sub, err := imageLayers(ctx, registry, repo, d.Digest.String())
		if err != nil {
			return nil, err
		}
		maps.Copy(out, sub)
	}
	return out, nil
}

// newLayerBytes is what a push of now uploads to a registry that holds
// before: the bytes of the layers before does not have.
func newLayerBytes(before, now map[string]int64) int64 {
	var n int64
	for d, size := range now {
		if _, ok := before[d]; !ok {
			n += size
		}
	}
	return n
}

// pushBase pushes a copy of the runtime base stand-in with one extra file
// under the benchmark's own tag: a new stamp gives the base a new digest.
// It builds on the bed's daemon, which already holds the stand-in, for the
// stand-in's platforms.
func pushBase(ctx context.Context, e env, from, to, platforms, stamp string) error {
	dir, err := os.MkdirTemp(e.scratch, "base-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	df := "FROM " + from + "\nCOPY stamp /etc/strata-bench-stamp\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "stamp"), []byte(stamp+"\n"), 0o644); err != nil {
		return err
	}
	c, err := client.New(ctx, e.bedAddr)
	if err != nil {
		return err
	}
	defer c.Close()
	_, _, err = solve(ctx, c, solveOpt{
		context: dir, dockerfile: dir,
		attrs: map[string]string{"platform": platforms},
		exports: []client.ExportEntry{{Type: client.ExporterImage, Attrs: map[string]string{
			"name": to, "push": "true", "registry.insecure": "true",
		}}},
	}, nil)
	if err != nil {
		return fmt.Errorf("push the base copy %s: %w", to, err)
	}
	return nil
}
