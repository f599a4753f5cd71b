package builder

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/moby/buildkit/frontend/gateway/client"

	"github.com/strata-build/strata/frontend/source"
)

// refFS reads the detection context from a solved BuildKit reference, plus
// files fetched later by name (see source.Fetcher).
type refFS struct {
	ref   client.Reference
	fetch func(ctx context.Context, paths []string) (client.Reference, error)

	mu    sync.Mutex
	extra map[string]client.Reference
}

func (r *refFS) refFor(name string) client.Reference {
	name = path.Clean(name)
	r.mu.Lock()
	defer r.mu.Unlock()
	if ref, ok := r.extra[name]; ok {
		return ref
	}
	for p, ref := range r.extra {
		if ok, _ := path.Match(p, name); ok && isPattern(p) {
			return ref
		}
	}
	return r.ref
}

// isPattern says whether a fetched path is a glob (members/*/pyproject.toml).
func isPattern(p string) bool { return strings.ContainsAny(p, "*?[") }

// patternRefs are the references fetched by glob, whose directories
// ReadDir lists too: a glob's matches are found by listing them.
func (r *refFS) patternRefs() []client.Reference {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []client.Reference
	for p, ref := range r.extra {
		if isPattern(p) && !slices.Contains(out, ref) {
			out = append(out, ref)
		}
	}
	return out
}

// Fetch transfers the named files, or the files globs match, in one solve.
func (r *refFS) Fetch(ctx context.Context, paths []string) error {
	r.mu.Lock()
	var missing []string
	for _, p := range paths {
		if _, ok := r.extra[path.Clean(p)]; !ok {
			missing = append(missing, path.Clean(p))
		}
	}
	r.mu.Unlock()
	if len(missing) == 0 {
		return nil
	}
	ref, err := r.fetch(ctx, missing)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.extra == nil {
		r.extra = map[string]client.Reference{}
	}
	for _, p := range missing {
		r.extra[p] = ref
	}
	return nil
}

func (r *refFS) ReadFile(ctx context.Context, name string, limit int) ([]byte, error) {
	ref := r.refFor(name)
	st, err := ref.StatFile(ctx, client.StatRequest{Path: name})
	if err != nil {
		return nil, notExist(name, err)
	}
	if st.IsDir() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	req := client.ReadRequest{Filename: name}
	if limit > 0 {
		req.Range = &client.FileRange{Length: limit}
	}
	return ref.ReadFile(ctx, req)
}

// ReadDir lists dir in the detection context and in what globs fetched.
func (r *refFS) ReadDir(ctx context.Context, dir string) ([]source.Entry, error) {
	out, err := readDir(ctx, r.ref, dir)
	refs := r.patternRefs()
	if len(refs) == 0 {
		return out, err
	}
	for _, ref := range refs {
		more, merr := readDir(ctx, ref, dir)
		if errors.Is(merr, fs.ErrNotExist) {
			continue
		} else if merr != nil {
			return nil, merr
		}
		for _, e := range more {
			if !slices.Contains(out, e) {
				out = append(out, e)
			}
		}
		err = nil
	}
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b source.Entry) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func readDir(ctx context.Context, ref client.Reference, dir string) ([]source.Entry, error) {
	stats, err := ref.ReadDir(ctx, client.ReadDirRequest{Path: dir})
	if err != nil {
		return nil, notExist(dir, err)
	}
	out := make([]source.Entry, 0, len(stats))
	for _, s := range stats {
		out = append(out, source.Entry{Name: path.Base(s.Path), IsDir: s.IsDir()})
	}
	return out, nil
}

// notExist maps the gateway's "no such file" (which crosses gRPC as text)
// to fs.ErrNotExist.
func notExist(name string, err error) error {
	msg := err.Error()
	if strings.Contains(msg, "no such file or directory") || strings.Contains(msg, "not found") {
		return &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return err
}
