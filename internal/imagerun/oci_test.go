package imagerun

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

func layer(t *testing.T, gz bool, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(content))
	}
	tw.Close()
	if !gz {
		return buf.Bytes()
	}
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(buf.Bytes())
	w.Close()
	return z.Bytes()
}

// writeLayout writes an OCI layout tarball with one image of two layers.
func writeLayout(t *testing.T, layers ...[]byte) string {
	t.Helper()
	blobs := map[string][]byte{}
	add := func(mt string, dt []byte) ocispecs.Descriptor {
		d := digest.FromBytes(dt)
		blobs["blobs/sha256/"+d.Encoded()] = dt
		return ocispecs.Descriptor{MediaType: mt, Digest: d, Size: int64(len(dt))}
	}
	cfg, _ := json.Marshal(map[string]any{"architecture": "arm64", "os": "linux", "config": map[string]any{"User": "65532:65532", "Entrypoint": []string{"/app/x"}}})
	m := ocispecs.Manifest{Config: add(ocispecs.MediaTypeImageConfig, cfg)}
	for _, l := range layers {
		m.Layers = append(m.Layers, add(ocispecs.MediaTypeImageLayerGzip, l))
	}
	md, _ := json.Marshal(m)
	idx, _ := json.Marshal(ocispecs.Index{Manifests: []ocispecs.Descriptor{add(ocispecs.MediaTypeImageManifest, md)}})
	blobs["index.json"] = idx
	path := filepath.Join(t.TempDir(), "image.tar")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	for name, dt := range blobs {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(dt)), Typeflag: tar.TypeReg})
		tw.Write(dt)
	}
	tw.Close()
	f.Close()
	return path
}

func TestReadFileAndUnpack(t *testing.T) {
	path := writeLayout(t,
		layer(t, true, map[string]string{"app/x": "v1", "etc/gone": "old"}),
		layer(t, false, map[string]string{"app/x": "v2", "etc/.wh.gone": ""}))
	imgs, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 1 || imgs[0].Platform.Architecture != "arm64" || imgs[0].Config.Config.User != "65532:65532" {
		t.Fatalf("images %+v", imgs)
	}
	if dt, err := imgs[0].File("/app/x"); err != nil || string(dt) != "v2" {
		t.Errorf("File = %q, %v (the top layer must win)", dt, err)
	}
	if _, err := imgs[0].File("/nope"); err == nil {
		t.Error("a missing file was found")
	}
	dir := t.TempDir()
	if err := imgs[0].Unpack(dir); err != nil {
		t.Fatal(err)
	}
	if dt, _ := os.ReadFile(filepath.Join(dir, "app", "x")); string(dt) != "v2" {
		t.Errorf("unpacked app/x = %q", dt)
	}
	if _, err := os.Stat(filepath.Join(dir, "etc", "gone")); !os.IsNotExist(err) {
		t.Errorf("whiteout not applied: %v", err)
	}
}

func TestNumericUser(t *testing.T) {
	for in, want := range map[string][2]int{"": {0, 0}, "65532": {65532, 65532}, "1000:50": {1000, 50}} {
		u, g, err := numericUser(in)
		if err != nil || u != want[0] || g != want[1] {
			t.Errorf("%q: %d:%d %v", in, u, g, err)
		}
	}
	if _, _, err := numericUser("nonroot"); err == nil {
		t.Error("a user name was accepted")
	}
}
