// Package source is the read-only view of the build context that detection
// uses. The frontend backs it with a narrowed BuildKit local source, the CLI
// with a directory, tests with a map; all record nothing beyond reads.
package source

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Entry is one directory entry.
type Entry struct {
	Name  string
	IsDir bool
}

// FS reads files of the build context. Paths are slash-separated and
// relative to the context root. A missing file gives fs.ErrNotExist.
type FS interface {
	// ReadFile reads at most limit bytes (all when limit <= 0).
	ReadFile(ctx context.Context, name string, limit int) ([]byte, error)
	ReadDir(ctx context.Context, dir string) ([]Entry, error)
}

// Fetcher is an FS narrowed to some patterns that can bring in more files
// in one round trip, when what to read depends on what was read (the
// members of a go.work, say).
type Fetcher interface {
	Fetch(ctx context.Context, paths []string) error
}

// Fetch asks fsys for paths when it needs asking; other FS types hold the
// whole context already.
func Fetch(ctx context.Context, fsys FS, paths []string) error {
	if f, ok := fsys.(Fetcher); ok && len(paths) > 0 {
		return f.Fetch(ctx, paths)
	}
	return nil
}

// Exists reports whether name can be read.
func Exists(ctx context.Context, fsys FS, name string) (bool, error) {
	_, err := fsys.ReadFile(ctx, name, 1)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Dir is a directory on the local disk.
type Dir string

func (d Dir) ReadFile(_ context.Context, name string, limit int) ([]byte, error) {
	f, err := os.Open(filepath.Join(string(d), filepath.FromSlash(name)))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	n := int(st.Size())
	if limit > 0 && limit < n {
		n = limit
	}
	buf := make([]byte, n)
	m, err := f.Read(buf)
	if err != nil && m == 0 && n > 0 {
		return nil, err
	}
	return buf[:m], nil
}

func (d Dir) ReadDir(_ context.Context, dir string) ([]Entry, error) {
	des, err := os.ReadDir(filepath.Join(string(d), filepath.FromSlash(dir)))
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(des))
	for _, de := range des {
		out = append(out, Entry{Name: de.Name(), IsDir: de.IsDir()})
	}
	return out, nil
}

// Map is an in-memory context for tests. It counts reads per path so tests
// can assert that detection stays inside what it asked for.
type Map struct {
	Files map[string]string
	Reads map[string]int
}

func (m *Map) note(p string) {
	if m.Reads == nil {
		m.Reads = map[string]int{}
	}
	m.Reads[p]++
}

func (m *Map) ReadFile(_ context.Context, name string, limit int) ([]byte, error) {
	name = path.Clean(name)
	m.note(name)
	s, ok := m.Files[name]
	if !ok {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	if limit > 0 && limit < len(s) {
		s = s[:limit]
	}
	return []byte(s), nil
}

func (m *Map) ReadDir(_ context.Context, dir string) ([]Entry, error) {
	dir = path.Clean(dir)
	m.note(dir + "/")
	seen := map[string]bool{}
	var out []Entry
	prefix := dir + "/"
	if dir == "." {
		prefix = ""
	}
	for p := range m.Files {
		if !strings.HasPrefix(p, prefix) {
			continue
		}
		rest := strings.TrimPrefix(p, prefix)
		name, _, isDir := strings.Cut(rest, "/")
		if !seen[name] {
			seen[name] = true
			out = append(out, Entry{Name: name, IsDir: isDir})
		}
	}
	if len(out) == 0 && dir != "." {
		return nil, &fs.PathError{Op: "readdir", Path: dir, Err: fs.ErrNotExist}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Cache remembers what fsys returned, so planning for several platforms
// reads each file of the context once (each read is a round trip to the
// BuildKit daemon in the frontend).
func Cache(fsys FS) FS {
	return &cached{fs: fsys, files: map[fileKey]result[[]byte]{}, dirs: map[string]result[[]Entry]{}}
}

type fileKey struct {
	name  string
	limit int
}

type result[T any] struct {
	v   T
	err error
}

type cached struct {
	fs    FS
	mu    sync.Mutex
	files map[fileKey]result[[]byte]
	dirs  map[string]result[[]Entry]
}

func (c *cached) ReadFile(ctx context.Context, name string, limit int) ([]byte, error) {
	k := fileKey{name, limit}
	c.mu.Lock()
	r, ok := c.files[k]
	c.mu.Unlock()
	if !ok {
		r.v, r.err = c.fs.ReadFile(ctx, name, limit)
		c.mu.Lock()
		c.files[k] = r
		c.mu.Unlock()
	}
	return r.v, r.err
}

// Fetch forwards to the wrapped FS and forgets what it said of those paths
// (of the paths a glob among them matches, and of every directory, whose
// listing a glob's matches extend).
func (c *cached) Fetch(ctx context.Context, paths []string) error {
	if err := Fetch(ctx, c.fs, paths); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.files {
		if slices.ContainsFunc(paths, func(p string) bool { ok, _ := path.Match(p, k.name); return ok || p == k.name }) {
			delete(c.files, k)
		}
	}
	if slices.ContainsFunc(paths, func(p string) bool { return strings.ContainsAny(p, "*?[") }) {
		clear(c.dirs)
	}
	return nil
}

func (c *cached) ReadDir(ctx context.Context, dir string) ([]Entry, error) {
	c.mu.Lock()
	r, ok := c.dirs[dir]
	c.mu.Unlock()
	if !ok {
		r.v, r.err = c.fs.ReadDir(ctx, dir)
		c.mu.Lock()
		c.dirs[dir] = r
		c.mu.Unlock()
	}
	return r.v, r.err
}
