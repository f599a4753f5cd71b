package cacheprune

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"github.com/strata-build/strata/internal/registry"
)

// fakeRegistry serves the distribution API calls pruning makes, over
// HTTP, from memory: tags in pages of two, manifests, blobs, deletes.
type fakeRegistry struct {
	mu        sync.Mutex
	tags      map[string]digest.Digest
	manifests map[digest.Digest][]byte
	blobs     map[digest.Digest][]byte
	tagDelete bool // the registry deletes single tags
	deletes   []string
}

func newFake() *fakeRegistry {
	return &fakeRegistry{tags: map[string]digest.Digest{}, manifests: map[digest.Digest][]byte{}, blobs: map[digest.Digest][]byte{}}
}

// cache stores a BuildKit cache as BuildKit writes it: an OCI index of the
// layers and the config, or (imageManifest) an image manifest whose config
// is the cache config. Its one result was created at created.
func (f *fakeRegistry) cache(tag string, created time.Time, imageManifest bool) digest.Digest {
	cfg, _ := json.Marshal(map[string]any{
		"layers":  []any{map[string]any{"blob": "sha256:" + strings.Repeat("a", 64), "parent": -1}},
		"records": []any{map[string]any{"digest": "sha256:" + strings.Repeat("b", 64), "layers": []any{map[string]any{"layer": 0, "createdAt": created}}}},
	})
	cd := digest.FromBytes(cfg)
	cfgDesc := map[string]any{"mediaType": configType, "digest": cd, "size": len(cfg)}
	layer := map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + strings.Repeat("a", 64), "size": 10}
	var m []byte
	if imageManifest {
		m, _ = json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": cfgDesc, "layers": []any{layer}})
	} else {
		m, _ = json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []any{layer, cfgDesc}})
	}
	return f.put(tag, m, cfg)
}

func (f *fakeRegistry) image(tag string) digest.Digest {
	m, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + strings.Repeat("c", 64), "size": 2}})
	return f.put(tag, m, nil)
}

func (f *fakeRegistry) put(tag string, manifest, blob []byte) digest.Digest {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := digest.FromBytes(manifest)
	f.manifests[d] = manifest
	if blob != nil {
		f.blobs[digest.FromBytes(blob)] = blob
	}
	f.tags[tag] = d
	return d
}

func (f *fakeRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	const prefix = "/v2/team/api/"
	if !strings.HasPrefix(r.URL.Path, prefix) {
		http.NotFound(w, r)
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, prefix)
	switch {
	case rest == "tags/list":
		var names []string
		for t := range f.tags {
			names = append(names, t)
		}
		slices.Sort(names)
		start := 0
		if last := r.URL.Query().Get("last"); last != "" {
			start, _ = slices.BinarySearch(names, last)
			start++
		}
		end := min(start+2, len(names))
		if end < len(names) {
			w.Header().Set("Link", fmt.Sprintf(`</v2/team/api/tags/list?n=2&last=%s>; rel="next"`, names[end-1]))
		}
		json.NewEncoder(w).Encode(map[string]any{"name": "team/api", "tags": names[start:end]})
	case strings.HasPrefix(rest, "manifests/"):
		ref := strings.TrimPrefix(rest, "manifests/")
		d, isTag := f.tags[ref]
		if !isTag {
			d = digest.Digest(ref)
		}
		m, ok := f.manifests[d]
		if !ok || !isTag && d.Validate() != nil {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`)
			return
		}
		switch r.Method {
		case http.MethodGet:
			w.Header().Set("Docker-Content-Digest", d.String())
			w.Write(m)
		case http.MethodDelete:
			f.deletes = append(f.deletes, ref)
			if isTag {
				if !f.tagDelete {
					w.WriteHeader(http.StatusBadRequest)
					fmt.Fprint(w, `{"errors":[{"code":"UNSUPPORTED","message":"The operation is unsupported."}]}`)
					return
				}
				delete(f.tags, ref)
			} else {
				delete(f.manifests, d)
				for t, td := range f.tags {
					if td == d {
						delete(f.tags, t)
					}
				}
			}
			w.WriteHeader(http.StatusAccepted)
		}
	case strings.HasPrefix(rest, "blobs/"):
		b, ok := f.blobs[digest.Digest(strings.TrimPrefix(rest, "blobs/"))]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Write(b)
	default:
		http.NotFound(w, r)
	}
}

func serve(t *testing.T, f *fakeRegistry) registry.Repo {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	repo, err := registry.ParseRepo(strings.TrimPrefix(srv.URL, "http://") + "/team/api")
	if err != nil {
		t.Fatal(err)
	}
	if !repo.PlainHTTP {
		t.Fatalf("%s is not plain HTTP", repo)
	}
	return repo
}

func outcomes(out []Outcome) map[string]string {
	m := map[string]string{}
	for _, o := range out {
		state := "deleted"
		if o.Kept {
			state = "kept"
		}
		m[o.Tag] = state + ": " + o.Reason
	}
	return m
}

func TestPruneKeepsBranchesAndTheNewest(t *testing.T) {
	f := newFake()
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	// main is the oldest and kept as a branch; of the others the two
	// newest stay. One cache is in image-manifest form (ECR's).
	main := f.cache("cache-main", day, false)
	for i, name := range []string{"feature-a", "feature-b", "feature-c", "feature-d"} {
		f.cache("cache-"+name, day.Add(time.Duration(i+1)*24*time.Hour), name == "feature-d")
	}
	img := f.image("1a2b3c") // an image tag of the same repository: never touched
	f.image("cache-notes")   // the prefix, but not a cache
	repo := serve(t, f)

	out, err := Prune(context.Background(), registry.New(nil), repo, Policy{Prefix: "cache-", Keep: 2, Branches: []string{"main"}})
	if err != nil {
		t.Fatal(err)
	}
	got := outcomes(out)
	want := map[string]string{
		"cache-main":      "kept: branch main",
		"cache-feature-d": "kept: among the 2 newest",
		"cache-feature-c": "kept: among the 2 newest",
		"cache-notes":     "kept: left: not a BuildKit cache (no application/vnd.buildkit.cacheconfig.v0)",
	}
	for tag, w := range want {
		if got[tag] != w {
			t.Errorf("%s: %q, want %q", tag, got[tag], w)
		}
	}
	for _, tag := range []string{"cache-feature-a", "cache-feature-b"} {
		if !strings.HasPrefix(got[tag], "deleted: deleted the manifest sha256:") {
			t.Errorf("%s: %q", tag, got[tag])
		}
		if _, ok := f.tags[tag]; ok {
			t.Errorf("%s is still in the registry", tag)
		}
	}
	if f.tags["cache-main"] != main || f.tags["1a2b3c"] != img || len(f.tags) != 5 {
		t.Errorf("tags left: %v", f.tags)
	}
	for _, o := range out {
		if o.Tag == "cache-feature-d" && !o.Newest.Equal(day.Add(4*24*time.Hour)) {
			t.Errorf("the image-manifest cache's age: %v", o.Newest)
		}
	}

	var rep bytes.Buffer
	Report(&rep, repo, out)
	if !strings.Contains(rep.String(), repo.String()+":cache-feature-a: deleted (deleted the manifest sha256:") ||
		!strings.Contains(rep.String(), ":cache-main: kept (branch main, newest result 2026-03-01T00:00:00Z)") {
		t.Errorf("report:\n%s", rep.String())
	}
}

// A branch named as git names it is kept under its slug.
func TestPruneKeepsBranchesBySlug(t *testing.T) {
	f := newFake()
	old := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	f.cache("cache-release-2.1", old, false)
	f.cache("cache-feature-x", old.Add(time.Hour), false)
	out, err := Prune(context.Background(), registry.New(nil), serve(t, f), Policy{Prefix: "cache-", Keep: 0, Branches: []string{"Release/2.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(out); got["cache-release-2.1"] != "kept: branch Release/2.1" || !strings.HasPrefix(got["cache-feature-x"], "deleted:") {
		t.Errorf("%v", got)
	}
}

// Deleting a digest deletes every tag on it: a stale tag that shares its
// manifest with a kept one (a branch cut from main and built unchanged)
// loses only its tag, or stays when the registry cannot delete tags.
func TestPruneNeverDeletesAKeptTagsManifest(t *testing.T) {
	for _, tagDelete := range []bool{true, false} {
		t.Run("tag delete "+strconv.FormatBool(tagDelete), func(t *testing.T) {
			f := newFake()
			f.tagDelete = tagDelete
			d := f.cache("cache-main", time.Now(), false)
			f.mu.Lock()
			f.tags["cache-copy"] = d
			f.tags["v1"] = f.tags["cache-main"] // an image tag on the same manifest
			f.mu.Unlock()
			out, err := Prune(context.Background(), registry.New(nil), serve(t, f), Policy{Prefix: "cache-", Branches: []string{"main"}})
			if err != nil {
				t.Fatal(err)
			}
			got := outcomes(out)["cache-copy"]
			if tagDelete {
				if got != "deleted: deleted the tag only: its manifest is also cache-main, v1" {
					t.Errorf("cache-copy: %q", got)
				}
				if _, ok := f.tags["cache-copy"]; ok {
					t.Error("cache-copy is still tagged")
				}
			} else if got != "kept: left: its manifest is also cache-main, v1, and the registry deletes no single tag" {
				t.Errorf("cache-copy: %q", got)
			}
			if f.tags["cache-main"] != d || f.tags["v1"] != d || f.manifests[d] == nil {
				t.Errorf("the kept manifest went: %v", f.tags)
			}
			if slices.Contains(f.deletes, d.String()) {
				t.Errorf("deleted the shared digest: %v", f.deletes)
			}
		})
	}
}

func TestPruneDryRunDeletesNothing(t *testing.T) {
	f := newFake()
	f.cache("cache-a", time.Now(), false)
	f.cache("cache-b", time.Now().Add(-time.Hour), false)
	out, err := Prune(context.Background(), registry.New(nil), serve(t, f), Policy{Prefix: "cache-", Keep: 1, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(out); got["cache-a"] != "kept: among the 1 newest" || !strings.HasPrefix(got["cache-b"], "deleted: would delete the manifest sha256:") {
		t.Errorf("%v", got)
	}
	if len(f.deletes) != 0 || len(f.tags) != 2 {
		t.Errorf("a dry run deleted %v", f.deletes)
	}
}

func TestPruneReportsARegistryThatDeletesNothing(t *testing.T) {
	f := newFake()
	f.cache("cache-a", time.Now(), false)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			w.WriteHeader(http.StatusMethodNotAllowed)
			fmt.Fprint(w, `{"errors":[{"code":"UNSUPPORTED","message":"The operation is unsupported."}]}`)
			return
		}
		f.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	repo, _ := registry.ParseRepo(strings.TrimPrefix(srv.URL, "http://") + "/team/api")
	_, err := Prune(context.Background(), registry.New(nil), repo, Policy{Prefix: "cache-"})
	if err == nil || !strings.Contains(err.Error(), ":cache-a: the registry does not support this operation") || !strings.Contains(err.Error(), "405") {
		t.Errorf("err = %v", err)
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"main":                   "main",
		"feature/Login-Form":     "feature-login-form",
		"release/2.1":            "release-2.1",
		"dependabot/go_mod/x":    "dependabot-go_mod-x",
		"-.odd":                  "odd",
		strings.Repeat("x", 130): strings.Repeat("x", 100),
	} {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}
