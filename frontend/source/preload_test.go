package source

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// After Preload every question planning asks is answered from memory, with
// the same answer the context gives: contents, parts of them, missing
// files, directories read as files, paths through a file.
func TestPreloadAnswersFromMemory(t *testing.T) {
	files := map[string]string{
		"package.json":       `{"name":"app"}`,
		"package-lock.json":  strings.Repeat("x", 1000),
		"cmd/api/main.go":    "package main\n",
		"requirements/a.txt": "flask==3.1.0\n",
	}
	ctx := context.Background()
	direct := &Map{Files: files}
	m := &Map{Files: files}
	c := Cache(m)
	Preload(ctx, c)
	preloaded := len(m.Reads)
	questions := []struct {
		name  string
		limit int
	}{
		{"package.json", 0}, {"package.json", 1}, {"package-lock.json", 10}, {"package-lock.json", 5000},
		{"pnpm-lock.yaml", 1}, {"cmd/api/main.go", 7}, {"cmd", 0}, {"cmd/api", 1}, {"cmd/web/main.go", 0},
		{"requirements/b.txt", 0}, {"package.json/x", 0}, {"./package.json", 0}, {"nothere/deep/file", 1},
	}
	for _, q := range questions {
		want, wantErr := direct.ReadFile(ctx, q.name, q.limit)
		got, err := c.ReadFile(ctx, q.name, q.limit)
		if string(got) != string(want) || errors.Is(err, fs.ErrNotExist) != errors.Is(wantErr, fs.ErrNotExist) || (err == nil) != (wantErr == nil) {
			t.Errorf("ReadFile(%q, %d) = %q, %v; the context says %q, %v", q.name, q.limit, got, err, want, wantErr)
		}
	}
	if len(m.Reads) != preloaded {
		t.Errorf("reads after Preload reached the context: %v", m.Reads)
	}
	for _, f := range []string{"package.json", "package-lock.json", "cmd/api/main.go", "requirements/a.txt"} {
		if m.Reads[f] != 1 {
			t.Errorf("%s read %d times by Preload, want 1", f, m.Reads[f])
		}
	}
}

// A fetch can add files anywhere: missing is then asked again.
func TestPreloadForgetsListingsOnFetch(t *testing.T) {
	m := &fetcherMap{Map: Map{Files: map[string]string{"go.work": "go 1.26\n"}}}
	c := Cache(m)
	ctx := context.Background()
	Preload(ctx, c)
	if _, err := c.ReadFile(ctx, "svc/go.mod", 0); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("before fetch: %v", err)
	}
	if m.Reads["svc/go.mod"] != 0 {
		t.Fatalf("the listing did not answer for a missing file")
	}
	if err := Fetch(ctx, c, []string{"svc/go.mod"}); err != nil {
		t.Fatal(err)
	}
	if dt, err := c.ReadFile(ctx, "svc/go.mod", 0); err != nil || string(dt) != "fetched" {
		t.Errorf("after fetch: %q %v", dt, err)
	}
}

// Files past the budgets stay unread until asked, and read right then.
func TestPreloadBudgets(t *testing.T) {
	big := strings.Repeat("x", preloadFileMax+1)
	m := &Map{Files: map[string]string{"big.lock": big, "small.txt": "s"}}
	c := Cache(m)
	ctx := context.Background()
	Preload(ctx, c)
	if m.Reads["big.lock"] != 0 || m.Reads["small.txt"] != 1 {
		t.Fatalf("Preload read %v", m.Reads)
	}
	if dt, err := c.ReadFile(ctx, "big.lock", 0); err != nil || len(dt) != len(big) {
		t.Fatalf("big file: %d bytes, %v", len(dt), err)
	}
	deep := map[string]string{}
	for i := range preloadDirsMax + 1 {
		deep[strings.Repeat("d/", i+1)+"f"] = "x"
	}
	m = &Map{Files: deep}
	c = Cache(m)
	Preload(ctx, c)
	if _, err := c.ReadFile(ctx, "d/missing", 0); !errors.Is(err, fs.ErrNotExist) || m.Reads["d/missing"] != 1 {
		t.Errorf("a tree too big to list answered for a missing file without asking: %v, %d reads", err, m.Reads["d/missing"])
	}
}

// Only a Cache is preloaded: a directory on disk is the whole repository.
func TestPreloadLeavesOtherFS(t *testing.T) {
	m := &Map{Files: map[string]string{"a": "b"}}
	Preload(context.Background(), m)
	if len(m.Reads) != 0 {
		t.Errorf("Preload read a plain FS: %v", m.Reads)
	}
}
