package source

import (
	"context"
	"errors"
	"io/fs"
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
