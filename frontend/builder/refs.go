package builder

import (
	"cmp"
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
	r.mu.Lock()
	defer r.mu.Unlock()
	if ref, ok := r.extra[path.Clean(name)]; ok {
		return ref
	}
	// A file a fetched pattern matched (source.Glob).
	for p, ref := range r.extra {
		if source.Match(p, name) {
			return ref
		}
	}
	return r.ref
}

// refs are the detection context and every fetch, each once.
func (r *refFS) refs() []client.Reference {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []client.Reference{r.ref}
	for _, ref := range r.extra {
		if !slices.Contains(out, ref) {
			out = append(out, ref)
		}
	}
	return out
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

// ReadFile is one round trip: the daemon's read says when the path is
// missing or not a regular file (a directory reads as missing).
func (r *refFS) ReadFile(ctx context.Context, name string, limit int) ([]byte, error) {
	req := client.ReadRequest{Filename: name}
	if limit > 0 {
		req.Range = &client.FileRange{Length: limit}
	}
	dt, err := r.refFor(name).ReadFile(ctx, req)
	if err != nil {
		return nil, notExist(name, err)
	}
	return dt, nil
}

// ReadDir lists dir as the detection context and every fetch see it: a
// fetched pattern brings in the directories leading to what it matched.
func (r *refFS) ReadDir(ctx context.Context, dir string) ([]source.Entry, error) {
	var out []source.Entry
	var firstErr error
	found := false
	for _, ref := range r.refs() {
		stats, err := ref.ReadDir(ctx, client.ReadDirRequest{Path: dir})
		if err != nil {
			if err = notExist(dir, err); !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
			firstErr = cmp.Or(firstErr, err)
			continue
		}
		found = true
		for _, s := range stats {
			e := source.Entry{Name: path.Base(s.Path), IsDir: s.IsDir(), Size: s.Size}
			if !slices.ContainsFunc(out, func(o source.Entry) bool { return o.Name == e.Name }) {
				out = append(out, e)
			}
		}
	}
	if !found {
		return nil, firstErr
	}
	slices.SortFunc(out, func(a, b source.Entry) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// notExist maps the gateway's "no such file" (which crosses gRPC as text)
// to fs.ErrNotExist, and so its refusal to read what is not a regular file
// ("is a directory" from daemons older than that check).
func notExist(name string, err error) error {
	msg := err.Error()
	if strings.Contains(msg, "no such file or directory") || strings.Contains(msg, "not found") {
		return &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	if strings.Contains(msg, "not a regular file") || strings.Contains(msg, "is a directory") {
		return &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	return err
}
