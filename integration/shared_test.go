//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
)

// The keys every ecosystem shares, on a real daemon with real Debian
// packages: build.packages in the builder only, run.packages in the runtime
// image (which then becomes Debian slim), a build command that uses both and
// a required secret as an environment variable; apt's caches stay on cache
// mounts and the package lists in no layer.
func TestSharedBuildKeys(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	dir := b.example(t, "go-minimal")
	desc := `# syntax=localhost:5000/strata:dev
build:
  packages: [jq]
  command: |
    test "$GH_TOKEN" = s3cret-token
    jq -n '{ok: true}' >/dev/null && go build -o /out/hello .
  secrets:
    - {id: gh_token, env: GH_TOKEN, required: true}
run:
  packages: [tzdata]
`
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(desc), 0o644); err != nil {
		t.Fatal(err)
	}
	secrets := []session.Attachable{secretsprovider.FromMap(map[string][]byte{"gh_token": []byte("s3cret-token")})}
	img := b.images(t, c, build{dir: dir, session: secrets})[0]

	if got := runToExit(t, img); !strings.Contains(got, "hello from a detected Go app") {
		t.Errorf("the image printed %q", got)
	}
	if img.Config.Config.User != "65532:65532" {
		t.Errorf("user %q", img.Config.Config.User)
	}
	var zoneinfo, jq bool
	err := img.Entries(func(h *tar.Header, r io.Reader) error {
		dt, _ := io.ReadAll(r)
		switch {
		case bytes.Contains(dt, []byte("s3cret-token")):
			t.Errorf("the secret is in %s", h.Name)
		case strings.HasPrefix(h.Name, "var/lib/apt/lists/") && strings.HasSuffix(h.Name, "_Packages"):
			t.Errorf("apt package lists landed in a layer: %s", h.Name)
		case strings.HasPrefix(h.Name, "var/cache/apt/archives/") && strings.HasSuffix(h.Name, ".deb"):
			t.Errorf("a downloaded package landed in a layer: %s", h.Name)
		case h.Name == "usr/share/zoneinfo/UTC" || strings.HasPrefix(h.Name, "usr/share/zoneinfo/Etc/UTC"):
			zoneinfo = true
		case strings.HasSuffix(h.Name, "bin/jq"):
			jq = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !zoneinfo || jq {
		t.Errorf("run.packages installed in the runtime: %v; build.packages leaked into it: %v", zoneinfo, jq)
	}
	if base := img.Config.Config.Labels["org.opencontainers.image.base.name"]; base != "debian:bookworm-slim" {
		t.Errorf("base %q: run.packages needs an apt base", base)
	}

	// A source edit re-runs the build command only; both apt steps stay cached.
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	mainGo := filepath.Join(dir, "main.go")
	edit(t, mainGo, "hello from", "hi "+run+" from")
	v, err := b.solve(t, c, build{dir: dir, session: secrets})
	if err != nil {
		t.Fatal(err)
	}
	if !v.cached(t, "[deps 1/3] apt-get install jq") || !v.cached(t, "[runtime 1/2] apt-get install tzdata") {
		t.Error("a source edit re-ran an apt step")
	}
	if v.cached(t, "[build 1/2] test \"$GH_TOKEN\" = s3cret-token …") {
		t.Error("a source edit did not re-run the build command")
	}

	// A required secret that is not given fails the build step (a cached
	// step needs no secret, as in a Dockerfile), naming it.
	edit(t, mainGo, "hi "+run+" from", "hey "+run+" from")
	if _, err := b.solve(t, c, build{dir: dir}); err == nil || !strings.Contains(err.Error(), "gh_token") {
		t.Errorf("a missing required secret: %v", err)
	}
}
