package lint

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"strings"

	"github.com/strata-build/strata/frontend/plan"
)

// DockerignoreMissing: without a .dockerignore, every step that reads the
// whole context is sent a .git history or a node_modules tree it does not
// need, and a change there invalidates it.
var DockerignoreMissing = Rule{
	Name:        "DockerignoreMissing",
	Description: "A build context with .git or node_modules should have a .dockerignore",
}

// probeDirs are the directories at the root of the context that make a
// .dockerignore worth having.
var probeDirs = []string{".git", "node_modules"}

// ContextFilter is what the frontend adds to the detection context so this
// rule sees whether those directories exist without transferring them:
// each is included, everything below it excluded. The excludes go with
// the .dockerignore patterns, which the caller must keep.
func ContextFilter() (include, exclude []string) {
	for _, d := range probeDirs {
		include = append(include, d)
		exclude = append(exclude, d+"/*")
	}
	return include, exclude
}

// dockerignoreMissing lists the root of the context once and reads nothing
// below it. In the frontend the listing is one call on the detection
// context, answered from its cache when planning listed the root already
// (the Go provider does).
func dockerignoreMissing(ctx context.Context, in *Input) ([]plan.Finding, error) {
	if in.IgnoreFile || in.Context == nil {
		return nil, nil
	}
	entries, err := in.Context.ReadDir(ctx, ".")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var found []string
	for _, e := range entries {
		if slices.Contains(probeDirs, e.Name) {
			found = append(found, e.Name)
		}
	}
	if len(found) == 0 {
		return nil, nil
	}
	them, list := "it", strings.Join(found, " and ")
	if len(found) > 1 {
		them = "them"
	}
	return []plan.Finding{{Rule: DockerignoreMissing.Name,
		Message: "the build context has " + list + " but no .dockerignore: steps that read the whole context are sent " + them +
			" (add a .dockerignore that lists " + list + ")"}}, nil
}
