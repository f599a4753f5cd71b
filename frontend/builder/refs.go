package builder

import (
	"context"
	"io/fs"
	"path"
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
	r.mu.Lock()
	defer r.mu.Unlock()
	if ref, ok := r.extra[path.Clean(name)]; ok {
		return ref
	}
	return r.ref
}

// Fetch transfers the named files in one solve.
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

func (r *refFS) ReadDir(ctx context.Context, dir string) ([]source.Entry, error) {
	stats, err := r.ref.ReadDir(ctx, client.ReadDirRequest{Path: dir})
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
