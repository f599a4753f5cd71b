//go:build integration

package integration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/client"
)

// A platform team publishes its own frontend image with hack/publish.sh and
// a defaults file, for amd64 and arm64; builds through it start from the
// organisation's pinned images, arg defaults, cache namespace and labels,
// show where each setting came from, and refuse what the policy forbids.
func TestOrgDefaults(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)

	// The organisation's copy of the runtime base carries a marker, so the
	// image shows which base it started from.
	mirrorDir := t.TempDir()
	writeFiles(t, mirrorDir, map[string]string{
		"Dockerfile": "FROM gcr.io/distroless/static-debian12\nCOPY org-mirror /org-mirror\n",
		"org-mirror": "the organisation's copy\n",
	})
	staticRef := b.registry + "/strata-test/org-static:1"
	push := []client.ExportEntry{{Type: client.ExporterImage, Attrs: map[string]string{"name": staticRef, "push": "true"}}}
	if _, err := b.solve(t, c, build{dir: mirrorDir, exports: push}); err != nil {
		t.Fatalf("push %s: %v", staticRef, err)
	}
	static := staticRef + "@" + manifestDigest(t, b, "strata-test/org-static", "1")
	// The organisation's golang lacks this machine's CAs, which re-sign
	// outbound TLS here: only the defaults' ca: lets it fetch.
	noCA := b.pushWithoutLocalCAs(t, "golang:1.26")
	golang := noCA + "@" + manifestDigest(t, b, "strata-test/golang-no-local-ca", "1.26")
	ca := localCAs(t)

	// A namespace of this run's own. BuildKit keeps cache mount ids out of
	// a step's cache key, so a GONOSUMDB of this run's own makes go mod
	// download run: in an empty module cache, printing its fetches
	// (the organisation's GOFLAGS=-x).
	ns := "org" + randomHex(t)
	defaults := `images:
  golang:1.26: ` + golang + `
  gcr.io/distroless/static-debian12: ` + static + `
args:
  GOFLAGS: -x
  GONOSUMDB: ` + ns + `.example.com
cacheNamespace: ` + ns + `
ca: |
  ` + strings.ReplaceAll(strings.TrimSpace(string(ca)), "\n", "\n  ") + `
labels:
  com.example.owner: platform
lint:
  errors: [DockerignoreMissing]
policy:
  deny: [run.base]
  images: ["` + b.registry + `/*"]
  lockArgs: [GOPRIVATE]
`
	defaultsFile := filepath.Join(t.TempDir(), "org.yaml")
	if err := os.WriteFile(defaultsFile, []byte(defaults), 0o644); err != nil {
		t.Fatal(err)
	}
	// Proof that the builder cannot fetch on its own: through the plain
	// frontend, in an empty module cache, go mod download fails on the
	// certificate.
	t.Run("the builder lacks the CA", func(t *testing.T) {
		d := b.example(t, "go-service")
		v, err := b.solve(t, c, build{dir: d, attrs: map[string]string{
			"context:golang:1.26":               "docker-image://" + noCA,
			"build-arg:GONOSUMDB":               ns + ".example.com",
			"build-arg:BUILDKIT_CACHE_MOUNT_NS": ns,
		}})
		if err == nil || !strings.Contains(v.log(t, "go mod download"), "certificate") {
			t.Fatalf("go mod download did not fail on the certificate: %v\n%s", err, v.log(t, "go mod download"))
		}
	})

	out, err := command(t, b.root, "bash", "hack/publish.sh", b.registry+"/strata-test/strata-org:"+ns, defaultsFile)
	if err != nil {
		t.Fatalf("hack/publish.sh: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	frontend := lines[len(lines)-1]
	if !strings.Contains(frontend, "@sha256:") {
		t.Fatalf("hack/publish.sh did not print the pinned image: %s", out)
	}
	if got := indexPlatforms(t, b, "strata-test/strata-org", ns); !slices.Contains(got, "linux/amd64") || !slices.Contains(got, "linux/arm64") {
		t.Errorf("the published frontend is for %v, want linux/amd64 and linux/arm64", got)
	}

	// The example's description, through the organisation's frontend and
	// without run.base, which the policy denies (distroless is the default).
	dir := b.example(t, "go-service")
	syntax := "# syntax=" + frontend + "\n"
	desc, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(desc), "\n")
	body = strings.Replace(body, "  base: distroless\n", "", 1)
	writeFiles(t, dir, map[string]string{"Dockerfile": syntax + body})

	t.Run("build", func(t *testing.T) {
		imgs, r := b.imagesAndReport(t, c, build{dir: dir})
		img := imgs[0]
		if got := string(imageFile(t, img, "org-mirror")); got != "the organisation's copy\n" {
			t.Errorf("the runtime image did not start from the organisation's copy: /org-mirror = %q", got)
		}
		if got := img.Config.Config.Labels["com.example.owner"]; got != "platform" {
			t.Errorf("label com.example.owner = %q, want platform", got)
		}
		if log := r.log(t, "go mod download"); !strings.Contains(log, "# get ") {
			t.Errorf("go mod download did not run with GOFLAGS=-x in a fresh cache namespace:\n%s", log)
		}
		// The CA is in no layer the build adds, nor in the cache export.
		bu := build{dir: dir, attrs: map[string]string{"target": "build"}}
		_, tarPath, cache := b.exportedBuild(t, c, bu)
		base, marker := b.layerDigests(t, noCA), caMarker(t, ca)
		for _, p := range []string{tarPath, cache} {
			for _, f := range secretIn(t, p, marker) {
				if !slices.ContainsFunc(base, func(d string) bool { return strings.Contains(f, d) }) {
					t.Errorf("the organisation's CA is in %s: %s", p, f)
				}
			}
		}
		du, err := c.DiskUsage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(du, func(u *client.UsageInfo) bool {
			return strings.Contains(u.Description, `with id "`+ns+`/strata/go/mod"`)
		}) {
			t.Errorf("no cache mount with id %s/strata/go/mod on the daemon", ns)
		}
		servers["go-service"](t, img)
	})

	// Where the policy allows, --build-context still redirects a mapped
	// image by its public name.
	t.Run("redirect by the public name", func(t *testing.T) {
		attrs := map[string]string{"context:gcr.io/distroless/static-debian12": "docker-image://" + b.registry + "/library/debian:bookworm-slim"}
		img := b.images(t, c, build{dir: dir, attrs: attrs})[0]
		if got := imageFile(t, img, "etc/debian_version"); len(got) == 0 {
			t.Error("the runtime did not start from the redirected image")
		}
		if paths := layerPaths(t, img); holds(paths, "org-mirror") {
			t.Error("the runtime still holds the organisation's copy")
		}
	})

	t.Run("outline names the organisation", func(t *testing.T) {
		out, err := command(t, dir, "docker", "buildx", "build", "--call", "outline", ".")
		if err != nil {
			t.Fatalf("--call outline: %v\n%s", err, out)
		}
		for _, want := range []string{"GOFLAGS", "-x", "default from organisation defaults /etc/strata/defaults.yaml line 5", "GONOSUMDB"} {
			if !strings.Contains(out, want) {
				t.Errorf("outline lacks %q:\n%s", want, out)
			}
		}
	})

	refused := []struct {
		name  string
		desc  string
		attrs map[string]string
		drop  string // a file removed from the context
		add   string // a directory added to it
		want  []string
	}{
		{name: "denied key", desc: syntax + "run:\n  base: debian-slim\n",
			want: []string{"Dockerfile:3", "run.base: your organisation's defaults do not let descriptions set run.base"}},
		{name: "locked arg", attrs: map[string]string{"build-arg:GOPRIVATE": "example.com/x"},
			want: []string{"--build-arg GOPRIVATE is not allowed: your organisation's defaults fix it", "/etc/strata/defaults.yaml"}},
		{name: "enforced lint rule", desc: syntax + "# check=skip=DockerignoreMissing\n", drop: ".dockerignore", add: ".git",
			want: []string{"DockerignoreMissing", "your organisation's defaults make these rules errors"}},
		{name: "redirect outside the policy", attrs: map[string]string{"context:gcr.io/distroless/static-debian12": "docker-image://debian:bookworm-slim"},
			want: []string{"--build-context gcr.io/distroless/static-debian12=docker-image://debian:bookworm-slim is not allowed"}},
		{name: "image outside the policy", desc: syntax + "go:\n  version: \"1.27\"\n",
			want: []string{"Dockerfile:3:12: go.version: stage deps starts from golang:1.27, which your organisation's policy.images does not allow"}},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			d := b.example(t, "go-service")
			desc := tc.desc
			if desc == "" {
				desc = syntax
			}
			writeFiles(t, d, map[string]string{"Dockerfile": desc})
			if tc.add != "" {
				if err := os.Mkdir(filepath.Join(d, tc.add), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if tc.drop != "" {
				if err := os.Remove(filepath.Join(d, tc.drop)); err != nil {
					t.Fatal(err)
				}
			}
			_, err := b.solve(t, c, build{dir: d, attrs: tc.attrs})
			if err == nil {
				t.Fatal("the build passed")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the error lacks %q: %v", w, err)
				}
			}
		})
	}
}

// writeFiles writes name → content under dir.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func randomHex(t testing.TB) string {
	t.Helper()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// indexPlatforms lists the platforms of an image index in the bed's registry.
func indexPlatforms(t testing.TB, b bed, repo, tag string) []string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+b.registry+"/v2/"+repo+"/manifests/"+tag, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var idx struct {
		Manifests []struct {
			Platform struct{ OS, Architecture string }
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&idx); err != nil {
		t.Fatalf("index of %s:%s: %v (%s)", repo, tag, err, resp.Status)
	}
	var out []string
	for _, m := range idx.Manifests {
		if m.Platform.OS != "unknown" {
			out = append(out, m.Platform.OS+"/"+m.Platform.Architecture)
		}
	}
	return out
}
