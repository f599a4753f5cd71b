package golang

import (
	"context"
	"regexp"
	"strconv"
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

// Combine describes the main packages Apps found as one image built by
// one go build (go.binaries), at the context root; the first listed (the
// root's, else the first of cmd/* by name) is the entrypoint.
func (Provider) Combine(apps []provider.App) (provider.App, bool) {
	if len(apps) < 2 {
		return provider.App{}, false
	}
	var lines []string
	for _, a := range apps {
		main := "."
		for _, k := range a.Keys {
			if k.Path == "go.main" {
				main = k.Value
			}
		}
		if !plainPath.MatchString(main) {
			main = strconv.Quote(main) // a YAML double-quoted string
		}
		lines = append(lines, "- main: "+main)
	}
	return provider.App{Dir: ".", Keys: []provider.Key{{Path: "go.binaries", Value: strings.Join(lines, "\n"), Block: true}}}, true
}

// plainPath is a path YAML reads as written, unquoted.
var plainPath = regexp.MustCompile(`^[./A-Za-z0-9_-]+$`)

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
