//go:build integration

package integration

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// ociImage is one platform's image read from an OCI layout tarball.
type ociImage struct {
	Platform ocispecs.Platform
	Config   dockerspec.DockerOCIImage
	Layers   []string // blob paths inside the layout
	blobs    map[string][]byte
}

// readOCI reads every image (one per platform) in an OCI layout tarball.
func readOCI(t testing.TB, tarPath string) []ociImage {
	t.Helper()
	f, err := os.Open(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	blobs := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		dt, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		blobs[path.Clean(h.Name)] = dt
	}
	var index ocispecs.Index
	mustJSON(t, blobs["index.json"], &index)
	var out []ociImage
	var walk func(ocispecs.Descriptor)
	walk = func(d ocispecs.Descriptor) {
		dt := blobs[blobPath(d)]
		switch d.MediaType {
		case ocispecs.MediaTypeImageIndex, "application/vnd.docker.distribution.manifest.list.v2+json":
			var idx ocispecs.Index
			mustJSON(t, dt, &idx)
			for _, m := range idx.Manifests {
				if m.Platform != nil && m.Platform.OS == "unknown" {
					continue // attestations
				}
				walk(m)
			}
		default:
			var m ocispecs.Manifest
			mustJSON(t, dt, &m)
			img := ociImage{blobs: blobs}
			mustJSON(t, blobs[blobPath(m.Config)], &img.Config)
			img.Platform = ocispecs.Platform{OS: img.Config.OS, Architecture: img.Config.Architecture, Variant: img.Config.Variant}
			for _, l := range m.Layers {
				img.Layers = append(img.Layers, blobPath(l))
			}
			out = append(out, img)
		}
	}
	for _, m := range index.Manifests {
		walk(m)
	}
	if len(out) == 0 {
		t.Fatal("no image in the OCI layout")
	}
	return out
}

func blobPath(d ocispecs.Descriptor) string {
	return path.Join("blobs", d.Digest.Algorithm().String(), d.Digest.Encoded())
}

func mustJSON(t testing.TB, dt []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(dt, v); err != nil {
		t.Fatalf("decoding %T: %v", v, err)
	}
}

// entries calls fn for every tar entry of every layer, bottom layer first.
func (img ociImage) entries(t testing.TB, fn func(h *tar.Header, r io.Reader)) {
	t.Helper()
	for _, l := range img.Layers {
		r, err := layerReader(img.blobs[l])
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(r)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			fn(h, tr)
		}
	}
}

// unpack applies the layers in order into dir, honouring whiteouts.
func (img ociImage) unpack(t testing.TB, dir string) {
	t.Helper()
	img.entries(t, func(h *tar.Header, r io.Reader) {
		name := path.Clean("/" + h.Name)
		target := filepath.Join(dir, name)
		base := path.Base(name)
		if strings.HasPrefix(base, ".wh.") {
			if base == ".wh..wh..opq" {
				entries, _ := os.ReadDir(filepath.Dir(target))
				for _, e := range entries {
					os.RemoveAll(filepath.Join(filepath.Dir(target), e.Name()))
				}
			} else {
				os.RemoveAll(filepath.Join(filepath.Dir(target), strings.TrimPrefix(base, ".wh.")))
			}
			return
		}
		os.MkdirAll(filepath.Dir(target), 0o755)
		switch h.Typeflag {
		case tar.TypeDir:
			os.MkdirAll(target, os.FileMode(h.Mode)&os.ModePerm)
		case tar.TypeReg:
			os.RemoveAll(target)
			w, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode)&os.ModePerm)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(w, r); err != nil {
				t.Fatal(err)
			}
			w.Close()
		case tar.TypeSymlink:
			os.RemoveAll(target)
			os.Symlink(h.Linkname, target)
		case tar.TypeLink:
			os.RemoveAll(target)
			os.Link(filepath.Join(dir, path.Clean("/"+h.Linkname)), target)
		}
		os.Lchown(target, h.Uid, h.Gid)
	})
}

// file returns one file of the image; the topmost layer's copy wins.
func (img ociImage) file(t testing.TB, name string) []byte {
	t.Helper()
	want := strings.TrimPrefix(path.Clean(name), "/")
	var found []byte
	img.entries(t, func(h *tar.Header, r io.Reader) {
		if strings.TrimPrefix(path.Clean(h.Name), "/") == want && h.Typeflag == tar.TypeReg {
			found, _ = io.ReadAll(r)
		}
	})
	if found == nil {
		t.Fatalf("%s not in the image", name)
	}
	return found
}

func layerReader(dt []byte) (io.Reader, error) {
	if len(dt) > 2 && dt[0] == 0x1f && dt[1] == 0x8b {
		return gzip.NewReader(strings.NewReader(string(dt)))
	}
	return strings.NewReader(string(dt)), nil
}
