package source

import (
	"context"
	"io/fs"
	"path"
	"slices"
	"sync"
)

// Preload budgets: the detection context is a few manifests, lockfiles and
// entry points, so these bound a context that is not.
const (
	preloadFileMax  = 4 << 20  // a file read whole ahead of time
	preloadTotalMax = 32 << 20 // every file read ahead of time
	preloadDirsMax  = 256      // directories listed ahead of time
	preloadParallel = 16       // reads in flight at once
)

// Preload fills a Cache with what a narrowed context holds, all at once:
// it lists every directory and reads every file of up to a few MiB in
// parallel. Planning then asks its questions one after another (is there a
// pnpm-lock.yaml? what does package.json say?) and gets each answer from
// memory, where each was a round trip to the daemon: most are about files
// that are not there, which the listings answer. Only for a context that
// holds nothing but what detection asked for (the frontend's); any other
// FS is left as it is. What Preload cannot read is read when asked, so a
// failure here changes no answer, only when it is fetched.
func Preload(ctx context.Context, fsys FS) {
	c, ok := fsys.(*cached)
	if !ok {
		return
	}
	dirs, complete := c.listAll(ctx)
	var files []string
	var total int64
	for _, d := range dirs {
		for _, e := range d.entries {
			if e.IsDir || e.Size < 0 || e.Size > preloadFileMax || total+e.Size > preloadTotalMax {
				continue
			}
			total += e.Size
			files = append(files, path.Join(d.name, e.Name))
		}
	}
	c.readAll(ctx, files)
	c.mu.Lock()
	c.listed = complete
	c.mu.Unlock()
}

type listing struct {
	name    string
	entries []Entry
}

// listAll lists the tree level by level, each level's directories at once.
// complete is false when a listing failed or the tree was too big to list.
func (c *cached) listAll(ctx context.Context) (out []listing, complete bool) {
	level := []string{"."}
	for len(level) > 0 {
		if len(out)+len(level) > preloadDirsMax {
			return out, false
		}
		got := make([]listing, len(level))
		errs := make([]error, len(level))
		var wg sync.WaitGroup
		for i, d := range level {
			wg.Go(func() { got[i].name = d; got[i].entries, errs[i] = c.ReadDir(ctx, d) })
		}
		wg.Wait()
		level = nil
		for i, l := range got {
			if errs[i] != nil {
				return out, false
			}
			out = append(out, l)
			for _, e := range l.entries {
				if e.IsDir {
					level = append(level, path.Join(l.name, e.Name))
				}
			}
		}
	}
	return out, true
}

// readAll reads each file whole, a few at once, into the cache.
func (c *cached) readAll(ctx context.Context, files []string) {
	sem := make(chan struct{}, preloadParallel)
	var wg sync.WaitGroup
	for _, f := range files {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			// Errors are not kept: the read is made again when asked.
			if _, err := c.ReadFile(ctx, f, 0); err != nil {
				c.mu.Lock()
				delete(c.files, fileKey{f, 0})
				c.mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// known answers a read from what Preload put in the cache: a part of a
// file read whole, or "missing" for a path the listings do not hold (a
// directory reads as missing, as in every FS). c.mu is held.
func (c *cached) known(name string, limit int) (result[[]byte], bool) {
	clean := path.Clean(name)
	if r, ok := c.files[fileKey{clean, 0}]; ok && r.err == nil {
		if limit > 0 && limit < len(r.v) {
			r.v = r.v[:limit]
		}
		return r, true
	}
	if !c.listed || CheckName(clean) != nil {
		return result[[]byte]{}, false
	}
	if c.holdsFile(clean) {
		return result[[]byte]{}, false
	}
	return result[[]byte]{err: &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}}, true
}

// holdsFile says whether the listings show name as something other than a
// directory. c.mu is held.
func (c *cached) holdsFile(name string) bool {
	d, ok := c.dirs[path.Dir(name)]
	if !ok || d.err != nil {
		// Under a directory that is not listed: only the missing have no
		// listing once the whole tree is listed.
		return false
	}
	i := slices.IndexFunc(d.v, func(e Entry) bool { return e.Name == path.Base(name) })
	return i >= 0 && !d.v[i].IsDir
}
