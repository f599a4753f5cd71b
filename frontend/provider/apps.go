package provider

import (
	"context"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/source"
)

// App is one app a provider finds in a build context: what `strata init`
// writes a description for.
type App struct {
	// Dir is where its description goes, relative to the context: "." or
	// the directory of the main package or workspace member it builds.
	Dir string
	// Name names its image (a binary, a package); "" means the name of
	// the directory the description goes in.
	Name string
	// Keys are the description keys that pick this app among the
	// context's (go.main, node.workspace …), written live in its
	// description.
	Keys []Key
	// Exclude are context paths (.dockerignore patterns) the app's build
	// never reads though its context holds them: another binary's main
	// package, which nothing can import. Leaving them out of its context
	// keeps an edit there from re-running this app's steps.
	Exclude []string
	// Optional apps may turn out to be libraries (a workspace member with
	// nothing to run): one whose plan fails is left out, not reported.
	Optional bool
}

// Key is a description key ("go.main") with its value: a string, or with
// Block set, YAML lines written as they are below the key (a list).
type Key struct {
	Path, Value string
	Block       bool
}

// Lister is a provider that lists the apps of a context for `strata init`.
type Lister interface {
	// Apps lists the apps whose context is the root of fsys, and the
	// directories (workspace members) that belong to that context, which
	// are no contexts of their own.
	Apps(ctx context.Context, fsys source.FS) (apps []App, members []string, err error)
	// SettingKey is the description key that changes a setting of the
	// provider's plans, "" when there is none or when writing the
	// resolved value as that key would plan something else, so `strata
	// init` writes it as a key to uncomment.
	SettingKey(s plan.Setting) string
}

// Combiner is a Lister whose several apps of one context can also be
// built as one image (a Go module's main packages, with go.binaries), as
// `strata init --one-image` asks.
type Combiner interface {
	Combine(apps []App) (App, bool)
}

// SharedSettingKeys are the settings of keys every provider honours whose
// resolved value, written as the key, plans the same.
var SharedSettingKeys = map[string]string{
	"runtime base": "run.base",
}
