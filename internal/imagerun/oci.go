// Package imagerun reads images from OCI layout tarballs and runs them under
// runc, the way the test bed runs what it builds (there is no Docker engine).
package imagerun

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Image is one platform's image from an OCI layout tarball.
type Image struct {
	Platform ocispecs.Platform
	Config   dockerspec.DockerOCIImage
	Layers   [][]byte // layer blobs, bottom first
}

// Read returns every image (one per platform) in an OCI layout tarball,
// skipping attestation manifests.
func Read(tarPath string) ([]Image, error) {
	f, err := os.Open(tarPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	blobs := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", tarPath, err)
		}
		dt, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		blobs[path.Clean(h.Name)] = dt
	}
	var index ocispecs.Index
	if err := json.Unmarshal(blobs["index.json"], &index); err != nil {
		return nil, fmt.Errorf("%s: index.json: %w", tarPath, err)
	}
	var out []Image
	var walk func(ocispecs.Descriptor) error
	walk = func(d ocispecs.Descriptor) error {
		dt, ok := blobs[blobPath(d)]
		if !ok {
			return fmt.Errorf("blob %s missing", d.Digest)
		}
		switch d.MediaType {
		case ocispecs.MediaTypeImageIndex, "application/vnd.docker.distribution.manifest.list.v2+json":
			var idx ocispecs.Index
			if err := json.Unmarshal(dt, &idx); err != nil {
				return err
			}
			for _, m := range idx.Manifests {
				if m.Platform != nil && m.Platform.OS == "unknown" {
					continue // attestations
				}
				if err := walk(m); err != nil {
					return err
				}
			}
			return nil
		}
		var m ocispecs.Manifest
		if err := json.Unmarshal(dt, &m); err != nil {
			return err
		}
		var img Image
		if err := json.Unmarshal(blobs[blobPath(m.Config)], &img.Config); err != nil {
			return fmt.Errorf("config %s: %w", m.Config.Digest, err)
		}
		img.Platform = ocispecs.Platform{OS: img.Config.OS, Architecture: img.Config.Architecture, Variant: img.Config.Variant}
		for _, l := range m.Layers {
			img.Layers = append(img.Layers, blobs[blobPath(l)])
		}
		out = append(out, img)
		return nil
	}
	for _, m := range index.Manifests {
		if err := walk(m); err != nil {
			return nil, fmt.Errorf("%s: %w", tarPath, err)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no image in the OCI layout", tarPath)
	}
	return out, nil
}

func blobPath(d ocispecs.Descriptor) string {
	return path.Join("blobs", d.Digest.Algorithm().String(), d.Digest.Encoded())
}

// Entries calls fn for every tar entry of every layer, bottom layer first.
func (img Image) Entries(fn func(h *tar.Header, r io.Reader) error) error {
	for i, l := range img.Layers {
		var r io.Reader = bytes.NewReader(l)
		if len(l) > 2 && l[0] == 0x1f && l[1] == 0x8b {
			gz, err := gzip.NewReader(r)
			if err != nil {
				return fmt.Errorf("layer %d: %w", i, err)
			}
			r = gz
		}
		tr := tar.NewReader(r)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return fmt.Errorf("layer %d: %w", i, err)
			}
			if err := fn(h, tr); err != nil {
				return err
			}
		}
	}
	return nil
}

// File returns one regular file of the image; the topmost layer's copy wins.
func (img Image) File(name string) ([]byte, error) {
	want := strings.TrimPrefix(path.Clean("/"+name), "/")
	var found []byte
	err := img.Entries(func(h *tar.Header, r io.Reader) error {
		if strings.TrimPrefix(path.Clean("/"+h.Name), "/") != want || h.Typeflag != tar.TypeReg {
			return nil
		}
		var err error
		found, err = io.ReadAll(r)
		return err
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, fmt.Errorf("%s is not in the image", name)
	}
	return found, nil
}

// Unpack applies the layers in order into dir, honouring whiteouts and
// ownership (run as root).
func (img Image) Unpack(dir string) error {
	return img.Entries(func(h *tar.Header, r io.Reader) error {
		name := path.Clean("/" + h.Name)
		target := filepath.Join(dir, name)
		parent, base := filepath.Dir(target), path.Base(name)
		if base == ".wh..wh..opq" {
			entries, err := os.ReadDir(parent)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			for _, e := range entries {
				if err := os.RemoveAll(filepath.Join(parent, e.Name())); err != nil {
					return err
				}
			}
			return nil
		}
		if strings.HasPrefix(base, ".wh.") {
			return os.RemoveAll(filepath.Join(parent, strings.TrimPrefix(base, ".wh.")))
		}
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return err
		}
		mode := os.FileMode(h.Mode) & os.ModePerm
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, mode); err != nil {
				return err
			}
			if err := os.Chmod(target, mode); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.RemoveAll(target); err != nil {
				return err
			}
			w, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
			if err != nil {
				return err
			}
			if _, err := io.Copy(w, r); err != nil {
				w.Close()
				return err
			}
			if err := w.Close(); err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := os.RemoveAll(target); err != nil {
				return err
			}
			if err := os.Symlink(h.Linkname, target); err != nil {
				return err
			}
		case tar.TypeLink:
			if err := os.RemoveAll(target); err != nil {
				return err
			}
			if err := os.Link(filepath.Join(dir, path.Clean("/"+h.Linkname)), target); err != nil {
				return err
			}
		default:
			return nil // devices and fifos are not needed to run a service
		}
		return os.Lchown(target, h.Uid, h.Gid)
	})
}
