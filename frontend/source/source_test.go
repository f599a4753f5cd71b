package source

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCacheReadsOnce(t *testing.T) {
	m := &Map{Files: map[string]string{"go.mod": "module x\n", "cmd/a/main.go": "package main\n"}}
	c := Cache(m)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if dt, err := c.ReadFile(ctx, "go.mod", 0); err != nil || string(dt) != "module x\n" {
			t.Fatalf("ReadFile = %q, %v", dt, err)
		}
		if _, err := c.ReadFile(ctx, "go.work", 0); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("missing file: %v", err)
		}
		if es, err := c.ReadDir(ctx, "cmd"); err != nil || len(es) != 1 || es[0].Name != "a" || !es[0].IsDir {
			t.Fatalf("ReadDir = %v, %v", es, err)
		}
	}
	for _, p := range []string{"go.mod", "go.work", "cmd/"} {
		if m.Reads[p] != 1 {
			t.Errorf("%s read %d times", p, m.Reads[p])
		}
	}
	if dt, _ := c.ReadFile(ctx, "go.mod", 3); string(dt) != "mod" {
		t.Errorf("a limited read returned %q", dt)
	}
}

type fetcherMap struct {
	Map
	calls int
}

func (f *fetcherMap) Fetch(_ context.Context, paths []string) error {
	f.calls++
	for _, p := range paths {
		f.Files[p] = "fetched"
	}
	return nil
}

func TestCacheForgetsFetchedPaths(t *testing.T) {
	m := &fetcherMap{Map: Map{Files: map[string]string{}}}
	c := Cache(m)
	ctx := context.Background()
	if _, err := c.ReadFile(ctx, "svc/go.mod", 0); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("before fetch: %v", err)
	}
	if err := Fetch(ctx, c, []string{"svc/go.mod"}); err != nil {
		t.Fatal(err)
	}
	if dt, err := c.ReadFile(ctx, "svc/go.mod", 0); err != nil || string(dt) != "fetched" {
		t.Errorf("after fetch: %q %v", dt, err)
	}
	if m.calls != 1 {
		t.Errorf("fetch reached the FS %d times", m.calls)
	}
	if err := Fetch(ctx, &Map{}, []string{"x"}); err != nil {
		t.Errorf("a plain FS needs no fetch: %v", err)
	}
}

// Nothing outside the directory is read: not through .., an absolute
// path, nor a symlink pointing out (relative or absolute).
func TestDirStaysInside(t *testing.T) {
	parent := t.TempDir()
	ctxDir := filepath.Join(parent, "ctx")
	if err := os.MkdirAll(filepath.Join(ctxDir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(parent, "secret")
	must(t, os.WriteFile(secret, []byte("s3cret"), 0o644))
	must(t, os.WriteFile(filepath.Join(ctxDir, "in.txt"), []byte("in"), 0o644))
	must(t, os.Symlink("../secret", filepath.Join(ctxDir, "rel")))
	must(t, os.Symlink(secret, filepath.Join(ctxDir, "abs")))
	must(t, os.Symlink(parent, filepath.Join(ctxDir, "updir")))
	must(t, os.Symlink("in.txt", filepath.Join(ctxDir, "sub", "..", "ok")))
	d := Dir(ctxDir)
	ctx := context.Background()
	for _, name := range []string{"../secret", secret, "rel", "abs", "updir/secret", "sub/../../secret"} {
		dt, err := d.ReadFile(ctx, name, 0)
		if !errors.Is(err, ErrOutside) {
			t.Errorf("ReadFile(%q) = %q, %v; want ErrOutside", name, dt, err)
		}
	}
	if _, err := d.ReadDir(ctx, "updir"); !errors.Is(err, ErrOutside) {
		t.Errorf("ReadDir(updir) = %v; want ErrOutside", err)
	}
	if dt, err := d.ReadFile(ctx, "ok", 0); err != nil || string(dt) != "in" {
		t.Errorf("a symlink inside: %q, %v", dt, err)
	}
	if _, err := d.ReadFile(ctx, "in.txt/x", 0); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a path through a file: %v", err)
	}
}

func TestReadAllRefusesABiggerFile(t *testing.T) {
	m := &Map{Files: map[string]string{"a": "12345"}}
	if dt, err := ReadAll(context.Background(), m, "a", 5); err != nil || string(dt) != "12345" {
		t.Errorf("at the cap: %q, %v", dt, err)
	}
	_, err := ReadAll(context.Background(), m, "a", 4)
	if err == nil || !strings.Contains(err.Error(), "a: larger than 4 bytes") {
		t.Errorf("over the cap: %v", err)
	}
}

func TestConfineRefusesPathsOutside(t *testing.T) {
	c := Confine(&Map{Files: map[string]string{"a": "x"}})
	for _, name := range []string{"../a", "/a", "x/../../a"} {
		if _, err := c.ReadFile(context.Background(), name, 0); !errors.Is(err, ErrOutside) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := Fetch(context.Background(), c, []string{"../x/go.mod"}); !errors.Is(err, ErrOutside) {
		t.Errorf("Fetch: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
