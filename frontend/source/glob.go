package source

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"strings"
)

// Glob lists the paths a slash-separated glob (path.Match syntax, no "**")
// matches, by listing only the directories the glob walks through, one
// level per segment: never a walk of the context. A frontend FS lists
// what it holds, so fetch the files the caller needs below the matches
// first (Fetch with the glob + "/pyproject.toml", say).
func Glob(ctx context.Context, fsys FS, pattern string) ([]string, error) {
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, err
	}
	found := []string{"."}
	for _, seg := range strings.Split(path.Clean(pattern), "/") {
		var next []string
		for _, dir := range found {
			entries, err := fsys.ReadDir(ctx, dir)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			} else if err != nil {
				return nil, err
			}
			for _, e := range entries {
				if ok, _ := path.Match(seg, e.Name); ok {
					next = append(next, path.Join(dir, e.Name))
				}
			}
		}
		found = next
	}
	return found, nil
}
