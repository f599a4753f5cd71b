package golang

import (
	"context"
	"strings"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/provider"
	"github.com/strata-build/strata/frontend/source"
)

// Apps lists one app per main package, found as Plan finds them (the
// module root and cmd/*; in a go.work, each member's): with one, the
// description at the context root needs no key; with several, each gets
// a description in its package's directory naming it with go.main, and
// they share the download step (the same go.mod and go.sum).
func (Provider) Apps(ctx context.Context, fsys source.FS) ([]provider.App, []string, error) {
	mod, err := readModule(ctx, fsys)
	if err != nil {
		return nil, nil, err
	}
	roots := []string{"."}
	var members []string
	if mod.Workspace != nil {
		roots = mod.Workspace
		for _, m := range mod.Workspace {
			if m != "." {
				members = append(members, m)
			}
		}
	}
	var mains []string
	for _, root := range roots {
		found, err := mainPackagesIn(ctx, fsys, root)
		if err != nil {
			return nil, nil, err
		}
		mains = append(mains, found...)
	}
	// A single module's only main package is what Plan picks unaided; in
	// a workspace, Plan looks at the root alone, so go.main is needed.
	if len(mains) == 1 && mod.Workspace == nil {
		return []provider.App{{Dir: ".", Name: mod.execName(mains[0])}}, members, nil
	}
	var apps []provider.App
	for _, m := range mains {
		var exclude []string
		for _, other := range mains {
			// A main package cannot be imported: no other build reads
			// its files (its subdirectories may be packages, so stay).
			switch {
			case other == m:
			case other == ".":
				exclude = append(exclude, "*.go")
			default:
				exclude = append(exclude, strings.TrimPrefix(other, "./")+"/*.go")
			}
		}
		apps = append(apps, provider.App{
			Dir:     strings.TrimPrefix(m, "./"),
			Name:    mod.execName(m),
			Keys:    []provider.Key{{Path: "go.main", Value: m}},
			Exclude: exclude,
		})
	}
	return apps, members, nil
}

// settingKeys are the Go settings' description keys.
var settingKeys = map[string]string{
	"go version":   "go.version",
	"main package": "go.main",
	"binary":       "go.binary",
	"binaries":     "go.binaries",
	"cgo":          "go.cgo",
	"ldflags":      "go.ldflags",
	"tags":         "go.tags",
}

// SettingKey maps the Go settings to their description keys.
func (Provider) SettingKey(s plan.Setting) string {
	if k, ok := settingKeys[s.Key]; ok {
		return k
	}
	return provider.SharedSettingKeys[s.Key]
}
