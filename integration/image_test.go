//go:build integration

package integration

import (
	"archive/tar"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-build/strata/internal/imagerun"
)

// Thin test wrappers over internal/imagerun, which hack/runimage shares.

func readOCI(t testing.TB, tarPath string) []imagerun.Image {
	t.Helper()
	imgs, err := imagerun.Read(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	return imgs
}

func imageFile(t testing.TB, img imagerun.Image, name string) []byte {
	t.Helper()
	dt, err := img.File(name)
	if err != nil {
		t.Fatal(err)
	}
	return dt
}

// layerPaths lists every path the image's layers add, in layer order.
func layerPaths(t testing.TB, img imagerun.Image) []string {
	t.Helper()
	var out []string
	err := img.Entries(func(h *tar.Header, _ io.Reader) error {
		out = append(out, h.Name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// holds reports whether some layer path starts with prefix.
func holds(paths []string, prefix string) bool {
	return slices.ContainsFunc(paths, func(p string) bool { return strings.HasPrefix(p, prefix) })
}

// mentions reports whether some layer path contains part.
func mentions(paths []string, part string) bool {
	return slices.ContainsFunc(paths, func(p string) bool { return strings.Contains(p, part) })
}

// runImage starts the image under runc; the test stops it.
func runImage(t testing.TB, img imagerun.Image, env ...string) *imagerun.Container {
	t.Helper()
	bundle := t.TempDir()
	if err := imagerun.Bundle(img, bundle, env...); err != nil {
		t.Fatal(err)
	}
	c, err := imagerun.Start(bundle)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

// runToExit runs the image's entrypoint to completion and returns its output.
func runToExit(t testing.TB, img imagerun.Image) string {
	t.Helper()
	bundle := t.TempDir()
	if err := imagerun.Bundle(img, bundle); err != nil {
		t.Fatal(err)
	}
	out, err := imagerun.Run(bundle)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return out
}

// freeAddr picks a loopback address nothing listens on.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// get polls the service in c until it answers.
func get(t testing.TB, c *imagerun.Container, addr, path string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + path)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %s: %s", path, resp.Status, body)
			}
			return string(body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v; container output:\n%s", path, err, c.Output())
		}
		time.Sleep(200 * time.Millisecond)
	}
}
