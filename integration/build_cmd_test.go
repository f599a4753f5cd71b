//go:build integration

package integration

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
)

// strataCLI builds the strata binary, as a pipeline would install it.
func strataCLI(t *testing.T, b bed) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "strata")
	if out, err := command(t, b.root, "go", "build", "-o", bin, "./cmd/strata"); err != nil {
		t.Fatalf("go build ./cmd/strata: %v\n%s", err, out)
	}
	return bin
}

// strataBuild runs `strata build` against the bed's daemon, with no other
// client on the machine involved; stdout and stderr are returned apart.
func strataBuild(t *testing.T, b bed, bin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"build"}, args...)...)
	cmd.Env = append(os.Environ(), "BUILDKIT_HOST="+b.addr)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// statuses are the solve statuses of a rawjson progress stream.
func statuses(t *testing.T, rawjson string) []*client.SolveStatus {
	t.Helper()
	var out []*client.SolveStatus
	sc := bufio.NewScanner(strings.NewReader(rawjson))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var st client.SolveStatus
		if json.Unmarshal(sc.Bytes(), &st) == nil {
			out = append(out, &st)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no rawjson progress in:\n%s", rawjson)
	}
	return out
}

// contextBytes adds up what the client sent of each local source, from the
// rawjson progress stream (the "transferring" statuses buildx shows).
func contextBytes(t *testing.T, rawjson string) int64 {
	t.Helper()
	sent := map[string]int64{}
	for _, st := range statuses(t, rawjson) {
		for _, s := range st.Statuses {
			if strings.HasPrefix(s.ID, "transferring") {
				key := s.Vertex.String() + s.ID
				sent[key] = max(sent[key], s.Current)
			}
		}
	}
	var total int64
	for _, n := range sent {
		total += n
	}
	return total
}

// manifestDigest is the digest the bed's registry serves for repo:tag.
func manifestDigest(t *testing.T, b bed, repo, tag string) string {
	t.Helper()
	status, digest := manifestHead(t, b, repo, tag)
	if status != http.StatusOK {
		t.Fatalf("HEAD %s:%s: %d", repo, tag, status)
	}
	return digest
}

// manifestHead is the registry's status and digest for a HEAD of repo:tag.
func manifestHead(t *testing.T, b bed, repo, tag string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodHead, "http://"+b.registry+"/v2/"+repo+"/manifests/"+tag, nil)
	req.Header.Set("Accept", "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Docker-Content-Digest")
}

// `strata build` is buildx's build for pipelines with no docker CLI:
// through the syntax image, then Strata in process, the same image.
func TestStrataBuild(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	bin := strataCLI(t, b)
	dir := b.example(t, "go-service")
	// .dockerignore lists *.tar: a large one must not be sent
	big := make([]byte, 8<<20)
	rand.Read(big)
	if err := os.WriteFile(filepath.Join(dir, "big.tar"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()

	img := filepath.Join(out, "image.tar")
	cache := filepath.Join(out, "cache")
	_, progress, err := strataBuild(t, b, bin, "--progress", "rawjson", "--output", "type=oci,dest="+img,
		"--build-arg", "VERSION=1.2.3", "--cache-to", "type=local,dest="+cache, dir)
	if err != nil {
		t.Fatalf("strata build: %v\n%s", err, progress)
	}
	sent := contextBytes(t, progress)
	t.Logf("context sent: %d bytes (an 8 MiB file .dockerignore lists stays behind)", sent)
	if sent == 0 || sent > 1<<20 {
		t.Errorf("the client sent %d bytes of context", sent)
	}
	if _, err := os.Stat(filepath.Join(cache, "index.json")); err != nil {
		t.Errorf("--cache-to type=local wrote no cache: %v", err)
	}
	viaImage := readOCI(t, img)[0]
	checkService(t, viaImage, "1.2.3")

	// the builder target, with another arg: the binary in /usr/local/bin;
	// an arg nothing uses is a lint warning shown at its line
	desc := filepath.Join(dir, "Dockerfile")
	orig, err := os.ReadFile(desc)
	if err != nil {
		t.Fatal(err)
	}
	edit(t, desc, "  VERSION: dev\n", "  VERSION: dev\n  NOT_USED: x\n")
	buildImg := filepath.Join(out, "build.tar")
	_, msg, err := strataBuild(t, b, bin, "--progress", "plain", "--target", "build", "--build-arg", "VERSION=2.0.0",
		"-o", "type=oci,dest="+buildImg, dir)
	if err != nil {
		t.Fatalf("strata build --target build: %v\n%s", err, msg)
	}
	for _, want := range []string{"go build ./cmd/api", "WARNING: UnusedArg", ">>>   NOT_USED: x\n"} {
		if !strings.Contains(msg, want) {
			t.Errorf("output lacks %q:\n%s", want, msg)
		}
	}
	if err := os.WriteFile(desc, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	bin2 := imageFile(t, readOCI(t, buildImg)[0], "usr/local/bin/api")
	if !bytes.Contains(bin2, []byte("2.0.0")) || bytes.Contains(bin2, []byte("1.2.3")) {
		t.Errorf("the build target's binary was not linked with VERSION=2.0.0")
	}

	// Strata in process: no frontend image, the same image, also pushed
	inProc := filepath.Join(out, "in-process.tar")
	meta := filepath.Join(out, "metadata.json")
	repo := "strata-it/build-cmd"
	tag := strconv.FormatInt(time.Now().UnixNano(), 36)
	if _, msg, err := strataBuild(t, b, bin, "--in-process", "--progress", "plain", "--build-arg", "VERSION=1.2.3",
		"--output", "type=oci,dest="+inProc, "-t", b.registry+"/"+repo+":"+tag, "--push", "--metadata-file", meta, dir); err != nil {
		t.Fatalf("strata build --in-process: %v\n%s", err, msg)
	} else if strings.Contains(msg, "strata:dev") {
		t.Errorf("an in-process build used the frontend image:\n%s", msg)
	}
	var resp map[string]string
	if dt, err := os.ReadFile(meta); err != nil || json.Unmarshal(dt, &resp) != nil || resp["containerimage.digest"] == "" {
		t.Errorf("--metadata-file: %v %q", err, dt)
	}
	if pushed := manifestDigest(t, b, repo, tag); pushed != resp["containerimage.digest"] {
		t.Errorf("the registry holds %s at %s, the build reported %s", pushed, tag, resp["containerimage.digest"])
	}
	local := readOCI(t, inProc)[0]
	if !reflect.DeepEqual(local.Config.Config, viaImage.Config.Config) {
		t.Errorf("in-process image config\n%+v\nthrough the image\n%+v", local.Config.Config, viaImage.Config.Config)
	}
	if !reflect.DeepEqual(local.Config.RootFS.DiffIDs, viaImage.Config.RootFS.DiffIDs) {
		t.Errorf("in-process layers %v, through the image %v", local.Config.RootFS.DiffIDs, viaImage.Config.RootFS.DiffIDs)
	}

	// a question answered without building
	if answer, msg, err := strataBuild(t, b, bin, "--call", "targets", dir); err != nil || !strings.Contains(answer, "runtime (default)") {
		t.Errorf("--call targets: %v\n%s%s", err, answer, msg)
	}
}

// A mistake in the description fails the command with the file, line and
// the line's text, through the image and in process, as build and as check.
func TestStrataBuildPointsAtTheLine(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	bin := strataCLI(t, b)
	dir := b.example(t, "go-service")
	edit(t, filepath.Join(dir, "Dockerfile"), "  main: ./cmd/api", "  mian: ./cmd/api")
	for _, args := range [][]string{
		{"--progress", "plain", dir},
		{"--in-process", "--progress", "quiet", dir},
		{"--check", dir},
	} {
		stdout, stderr, err := strataBuild(t, b, bin, args...)
		msg := stdout + stderr
		if _, ok := err.(*exec.ExitError); !ok {
			t.Errorf("%q: exit %v with a misspelt key\n%s", args, err, msg)
		}
		for _, want := range []string{"Dockerfile:4:3: go.mian: unknown key (did you mean `main`?)", "   4 | >>>   mian: ./cmd/api\n"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%q: output lacks %q:\n%s", args, want, msg)
			}
		}
	}
}
