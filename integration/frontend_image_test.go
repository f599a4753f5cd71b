//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// The published frontend image (for amd64) holds one static binary (and
// an empty layer for organisation defaults), labelled to run without network, and says it runs as 65532;
// since BuildKit starts a gateway frontend as root whatever USER says, the
// running frontend process is checked too: every strata-frontend process
// seen during a build runs as 65532:65532 with no capability.
func TestFrontendImageRunsUnprivileged(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	ref := strataImage()
	dir := t.TempDir()
	b.pullBlobs(t, ref, dir)
	blob := func(digest string) []byte {
		dt, err := os.ReadFile(filepath.Join(dir, strings.ReplaceAll(digest, ":", "-")))
		if err != nil {
			t.Fatal(err)
		}
		return dt
	}
	top, err := os.ReadFile(filepath.Join(dir, "top.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m ocispecs.Manifest
	var idx ocispecs.Index
	if json.Unmarshal(top, &idx); len(idx.Manifests) > 0 {
		for _, d := range idx.Manifests {
			if d.Platform != nil && d.Platform.OS == "linux" && d.Platform.Architecture == "amd64" {
				top = blob(d.Digest.String())
			}
		}
	}
	if err := json.Unmarshal(top, &m); err != nil || m.Config.Digest == "" {
		t.Fatalf("no amd64 manifest for %s: %v\n%s", ref, err, top)
	}
	var cfg ocispecs.Image
	if err := json.Unmarshal(blob(m.Config.Digest.String()), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Config.User != "65532:65532" {
		t.Errorf("the frontend image's user is %q", cfg.Config.User)
	}
	if cfg.Config.Labels["moby.buildkit.frontend.network.none"] != "true" {
		t.Errorf("labels %v lack network.none", cfg.Config.Labels)
	}
	// The binary's layer, then the organisation defaults' (empty in the
	// plain image: hack/publish.sh fills it).
	if len(m.Layers) != 2 {
		t.Fatalf("%d layers, want the binary's and the defaults'", len(m.Layers))
	}
	var files []string
	for _, l := range m.Layers {
		zr, err := gzip.NewReader(bytes.NewReader(blob(l.Digest.String())))
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(zr)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			if h.Typeflag != tar.TypeReg {
				continue
			}
			files = append(files, h.Name)
			dt, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			f, err := elf.NewFile(bytes.NewReader(dt))
			if err != nil {
				t.Fatalf("%s is not an ELF binary: %v", h.Name, err)
			}
			for _, p := range f.Progs {
				if p.Type == elf.PT_INTERP {
					t.Errorf("%s is dynamically linked", h.Name)
				}
			}
		}
	}
	if len(files) != 1 || files[0] != "bin/strata-frontend" {
		t.Errorf("the layers' files are %q", files)
	}

	// Watch /proc while a build runs the frontend (its own description, so
	// the frontend has work to do and a solve is not served from cache).
	app := b.example(t, "go-minimal")
	appendFile(t, filepath.Join(app, "main.go"), "\n// "+strconv.FormatInt(time.Now().UnixNano(), 36)+"\n")
	stop := make(chan struct{})
	var mu sync.Mutex
	seen := map[string]string{} // pid → its Uid, Gid and CapEff lines
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			for pid, st := range frontendProcesses() {
				mu.Lock()
				seen[pid] = st
				mu.Unlock()
			}
		}
	}()
	_, err = b.solve(t, b.client(t), build{dir: app})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) == 0 {
		t.Fatal("no strata-frontend process was seen during the build")
	}
	for pid, st := range seen {
		if !strings.Contains(st, "Uid:\t65532\t65532\t65532\t65532") || !strings.Contains(st, "Gid:\t65532\t65532\t65532\t65532") || !strings.Contains(st, "CapEff:\t0000000000000000") {
			t.Errorf("strata-frontend (pid %s) runs as:\n%s", pid, st)
		}
	}
}

// frontendProcesses are the running strata-frontend processes, by pid,
// with the ids and capabilities their status shows once they serve (a
// process seen before it dropped root is seen again after).
func frontendProcesses() map[string]string {
	out := map[string]string{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		comm, err := os.ReadFile("/proc/" + e.Name() + "/comm")
		if err != nil || strings.TrimSpace(string(comm)) != "strata-frontend" {
			continue
		}
		st, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil {
			continue
		}
		var keep []string
		for line := range strings.Lines(string(st)) {
			if strings.HasPrefix(line, "Uid:") || strings.HasPrefix(line, "Gid:") || strings.HasPrefix(line, "CapEff:") {
				keep = append(keep, strings.TrimRight(line, "\n"))
			}
		}
		out[e.Name()] = strings.Join(keep, "\n")
	}
	return out
}
