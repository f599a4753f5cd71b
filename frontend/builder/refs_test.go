package builder

import (
	"context"
	"errors"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/tonistiigi/fsutil/types"

	"github.com/strata-build/strata/frontend/source"
)

// fakeRef is a reference holding some files (paths to contents).
type fakeRef struct {
	client.Reference
	files map[string]string
}

func (f fakeRef) StatFile(_ context.Context, req client.StatRequest) (*types.Stat, error) {
	if _, ok := f.files[req.Path]; ok {
		return &types.Stat{Path: req.Path}, nil
	}
	return nil, errors.New("no such file or directory")
}

func (f fakeRef) ReadFile(_ context.Context, req client.ReadRequest) ([]byte, error) {
	return []byte(f.files[req.Filename]), nil
}

func (f fakeRef) ReadDir(_ context.Context, req client.ReadDirRequest) ([]*types.Stat, error) {
	var out []*types.Stat
	for p := range f.files {
		if rest, ok := strings.CutPrefix(p, req.Path+"/"); ok || req.Path == "." {
			if req.Path == "." {
				rest = p
			}
			name, _, isDir := strings.Cut(rest, "/")
			st := &types.Stat{Path: name}
			if isDir {
				st.Mode = 1 << 31 // os.ModeDir
			}
			if !slices.ContainsFunc(out, func(s *types.Stat) bool { return s.Path == name }) {
				out = append(out, st)
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no such file or directory")
	}
	return out, nil
}

// A glob's files are read from the reference that fetched them, and its
// directories are listed with the detection context's.
func TestRefFSFetchesGlobs(t *testing.T) {
	base := fakeRef{files: map[string]string{"pyproject.toml": "root"}}
	var asked []string
	fsys := &refFS{ref: base, fetch: func(_ context.Context, paths []string) (client.Reference, error) {
		asked = append(asked, paths...)
		out := fakeRef{files: map[string]string{}}
		for _, p := range []string{"packages/api/pyproject.toml", "packages/lib/pyproject.toml"} {
			if ok, _ := path.Match(paths[0], p); ok {
				out.files[p] = "member " + p
			}
		}
		return out, nil
	}}
	ctx := context.Background()
	if err := fsys.Fetch(ctx, []string{"packages/*/pyproject.toml"}); err != nil {
		t.Fatal(err)
	}
	if dt, err := fsys.ReadFile(ctx, "packages/lib/pyproject.toml", 0); err != nil || string(dt) != "member packages/lib/pyproject.toml" {
		t.Errorf("member file: %q %v", dt, err)
	}
	if dt, err := fsys.ReadFile(ctx, "pyproject.toml", 0); err != nil || string(dt) != "root" {
		t.Errorf("root file: %q %v", dt, err)
	}
	got, err := source.Glob(ctx, fsys, "packages/*")
	if err != nil || !slices.Equal(got, []string{"packages/api", "packages/lib"}) {
		t.Errorf("Glob = %q, %v", got, err)
	}
	if root, _ := fsys.ReadDir(ctx, "."); len(root) != 2 {
		t.Errorf("root listing %+v", root)
	}
	if len(asked) != 1 {
		t.Errorf("fetched %q", asked)
	}
}
