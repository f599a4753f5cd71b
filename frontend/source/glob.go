package source

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// Glob lists the directories matching pattern (slash-separated, `*`, `?`
// and `[…]` within one name, `**` for any depth) that hold the file name,
// such as the members of a JavaScript workspace (pattern "packages/*",
// name "package.json"). It asks fsys for pattern/name first (one round
// trip for all patterns: see GlobAll), then reads only the directories the
// pattern leads through; node_modules is never entered.
func Glob(ctx context.Context, fsys FS, pattern, name string) ([]string, error) {
	return GlobAll(ctx, fsys, []string{pattern}, name)
}

// GlobAll is Glob over several patterns, fetched in one round trip; the
// result is sorted and without duplicates.
func GlobAll(ctx context.Context, fsys FS, patterns []string, name string) ([]string, error) {
	var fetch []string
	for _, p := range patterns {
		fetch = append(fetch, path.Join(p, name))
	}
	if err := Fetch(ctx, fsys, fetch); err != nil {
		return nil, err
	}
	var out []string
	for _, p := range patterns {
		dirs, err := globDirs(ctx, fsys, ".", strings.Split(path.Clean(p), "/"))
		if err != nil {
			return nil, err
		}
		for _, d := range dirs {
			ok, err := Exists(ctx, fsys, path.Join(d, name))
			if err != nil {
				return nil, err
			}
			if ok && !slices.Contains(out, d) {
				out = append(out, d)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// globDirs matches the pattern's segments below dir.
func globDirs(ctx context.Context, fsys FS, dir string, segs []string) ([]string, error) {
	if len(segs) == 0 {
		return []string{dir}, nil
	}
	seg, rest := segs[0], segs[1:]
	if seg == "**" {
		// Zero or more directories: here, and below every subdirectory.
		out, err := globDirs(ctx, fsys, dir, rest)
		if err != nil {
			return nil, err
		}
		subs, err := subdirs(ctx, fsys, dir)
		if err != nil {
			return nil, err
		}
		for _, s := range subs {
			more, err := globDirs(ctx, fsys, path.Join(dir, s), segs)
			if err != nil {
				return nil, err
			}
			out = append(out, more...)
		}
		return out, nil
	}
	if !strings.ContainsAny(seg, `*?[\`) {
		return globDirs(ctx, fsys, path.Join(dir, seg), rest)
	}
	subs, err := subdirs(ctx, fsys, dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range subs {
		ok, err := path.Match(seg, s)
		if err != nil {
			return nil, err
		}
		if ok {
			more, err := globDirs(ctx, fsys, path.Join(dir, s), rest)
			if err != nil {
				return nil, err
			}
			out = append(out, more...)
		}
	}
	return out, nil
}

// subdirs lists dir's subdirectories but node_modules and hidden ones (no
// workspace tool looks for members there); a missing dir has none.
func subdirs(ctx context.Context, fsys FS, dir string) ([]string, error) {
	es, err := fsys.ReadDir(ctx, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range es {
		if e.IsDir && e.Name != "node_modules" && !strings.HasPrefix(e.Name, ".") {
			out = append(out, e.Name)
		}
	}
	return out, nil
}

// Match reports whether name matches pattern in Glob's syntax.
func Match(pattern, name string) bool {
	return matchSegs(strings.Split(path.Clean(pattern), "/"), strings.Split(path.Clean(name), "/"))
}

func matchSegs(pat, name []string) bool {
	if len(pat) == 0 {
		return len(name) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(name); i++ {
			if matchSegs(pat[1:], name[i:]) {
				return true
			}
		}
		return false
	}
	if len(name) == 0 {
		return false
	}
	ok, err := path.Match(pat[0], name[0])
	return err == nil && ok && matchSegs(pat[1:], name[1:])
}
