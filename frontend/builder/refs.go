package builder

import (
	"context"
	"io/fs"
	"path"
	"strings"

	"github.com/moby/buildkit/frontend/gateway/client"

	"github.com/strata-build/strata/frontend/source"
)

// refFS reads the detection context from a solved BuildKit reference.
type refFS struct{ ref client.Reference }

func (r *refFS) ReadFile(ctx context.Context, name string, limit int) ([]byte, error) {
	st, err := r.ref.StatFile(ctx, client.StatRequest{Path: name})
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
	return r.ref.ReadFile(ctx, req)
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
