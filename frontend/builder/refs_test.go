package builder

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	fstypes "github.com/tonistiigi/fsutil/types"

	"github.com/strata-build/strata/frontend/source"
)

// mapRef is a solved context holding files (and the directories leading
// to them), as a local source with include patterns transfers them. calls
// counts the round trips, where set.
type mapRef struct {
	files map[string]string
	calls *int
}

func (m mapRef) call() {
	if m.calls != nil {
		*m.calls++
	}
}

func (m mapRef) ToState() (llb.State, error)    { return llb.Scratch(), nil }
func (m mapRef) Evaluate(context.Context) error { return nil }

func (m mapRef) ReadFile(_ context.Context, req client.ReadRequest) ([]byte, error) {
	m.call()
	if s, ok := m.files[req.Filename]; ok {
		return []byte(s), nil
	}
	for f := range m.files {
		if strings.HasPrefix(f, req.Filename+"/") {
			// as the daemon refuses it
			return nil, errors.New("open " + req.Filename + ": not a regular file")
		}
	}
	return nil, errors.New("open " + req.Filename + ": no such file or directory")
}

func (m mapRef) StatFile(_ context.Context, req client.StatRequest) (*fstypes.Stat, error) {
	m.call()
	if _, ok := m.files[req.Path]; ok {
		return &fstypes.Stat{Path: req.Path}, nil
	}
	for f := range m.files {
		if strings.HasPrefix(f, req.Path+"/") {
			return &fstypes.Stat{Path: req.Path, Mode: uint32(os.ModeDir)}, nil
		}
	}
	return nil, errors.New("stat " + req.Path + ": no such file or directory")
}

func (m mapRef) ReadDir(_ context.Context, req client.ReadDirRequest) ([]*fstypes.Stat, error) {
	m.call()
	var out []*fstypes.Stat
	seen := map[string]bool{}
	prefix := req.Path + "/"
	if req.Path == "." || req.Path == "" {
		prefix = ""
	}
	for f := range m.files {
		rest, ok := strings.CutPrefix(f, prefix)
		if !ok {
			continue
		}
		name, _, isDir := strings.Cut(rest, "/")
		if seen[name] {
			continue
		}
		seen[name] = true
		st := &fstypes.Stat{Path: path.Join(req.Path, name)}
		if isDir {
			st.Mode = uint32(os.ModeDir)
		}
		out = append(out, st)
	}
	if len(out) == 0 {
		return nil, errors.New("readdir " + req.Path + ": no such file or directory")
	}
	return out, nil
}

// A pattern fetched for source.Glob brings in the directories leading to
// its matches: ReadDir sees them beside the detection context's, and the
// files it matched are read from the fetch.
func TestRefFSGlobsThroughFetches(t *testing.T) {
	detected := &mapRef{files: map[string]string{"package.json": "{}", "pnpm-workspace.yaml": "packages: [apps/*]"}}
	all := map[string]string{"apps/web/package.json": `{"name":"web"}`, "apps/admin/package.json": `{"name":"admin"}`, "apps/web/server.js": "", "libs/x/package.json": "{}"}
	var fetched [][]string
	r := &refFS{ref: detected, fetch: func(_ context.Context, patterns []string) (client.Reference, error) {
		fetched = append(fetched, patterns)
		got := map[string]string{}
		for f, s := range all {
			if slices.ContainsFunc(patterns, func(p string) bool { return source.Match(p, f) }) {
				got[f] = s
			}
		}
		return &mapRef{files: got}, nil
	}}
	fsys := source.Cache(r)
	ctx := t.Context()
	if _, err := fsys.ReadDir(ctx, "apps"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("before the fetch: %v", err)
	}
	dirs, err := source.Glob(ctx, fsys, "apps/*", "package.json")
	if err != nil || !slices.Equal(dirs, []string{"apps/admin", "apps/web"}) {
		t.Fatalf("Glob = %q, %v", dirs, err)
	}
	if len(fetched) != 1 || !slices.Equal(fetched[0], []string{"apps/*/package.json"}) {
		t.Errorf("fetches %q", fetched)
	}
	if dt, err := fsys.ReadFile(ctx, "apps/web/package.json", 0); err != nil || string(dt) != `{"name":"web"}` {
		t.Errorf("a matched file: %q, %v", dt, err)
	}
	if _, err := fsys.ReadFile(ctx, "apps/web/server.js", 0); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file the pattern does not match was transferred: %v", err)
	}
	if es, err := fsys.ReadDir(ctx, "."); err != nil || !slices.ContainsFunc(es, func(e source.Entry) bool { return e.Name == "apps" && e.IsDir }) || !slices.ContainsFunc(es, func(e source.Entry) bool { return e.Name == "package.json" }) {
		t.Errorf("the root lists %v, %v", es, err)
	}
}

// Reading a file is one round trip to the daemon, and what is missing or a
// directory reads as fs.ErrNotExist.
func TestRefFSReadsInOneCall(t *testing.T) {
	calls := 0
	r := &refFS{ref: mapRef{files: map[string]string{"go.mod": "module x\n", "cmd/api/main.go": "package main"}, calls: &calls}}
	dt, err := r.ReadFile(context.Background(), "go.mod", 0)
	if err != nil || string(dt) != "module x\n" || calls != 1 {
		t.Fatalf("go.mod = %q, %v after %d calls", dt, err, calls)
	}
	for _, name := range []string{"go.work", "cmd"} {
		calls = 0
		if _, err := r.ReadFile(context.Background(), name, 0); !errors.Is(err, fs.ErrNotExist) || calls != 1 {
			t.Errorf("%s: %v after %d calls, want fs.ErrNotExist after one", name, err, calls)
		}
	}
}
