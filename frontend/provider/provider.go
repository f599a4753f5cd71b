// Package provider is the contract between the pipeline and one ecosystem
// (go, node, python …): detect the app, read its section of the
// description, and produce a build plan.
package provider

import (
	"context"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/frontend/spec"
)

// Provider knows one ecosystem.
type Provider interface {
	// Name is the `app:` value and the key of the provider's section.
	Name() string
	// Patterns are the context paths Detect and Plan may read, so the
	// frontend transfers only those (never a whole node_modules or .git).
	Patterns() []string
	// Detect reports whether the context holds an app of this ecosystem.
	Detect(ctx context.Context, fsys source.FS) (bool, error)
	// Plan turns the description and the context into a build plan, once
	// for every target platform: what depends on the platform is written
	// with BuildKit's platform args (${TARGETARCH} …) or as a stage that
	// runs on the target platform.
	Plan(ctx context.Context, in Input) (*plan.Plan, error)
	// Section is a pointer to a zero value of the struct the provider's
	// section decodes into, so the description's JSON Schema and early
	// error reports cover it without knowing the ecosystem. Its keys are
	// described by `doc` struct tags, or by a Docs() map[string]string
	// method keyed by the yaml name ("" for the section itself).
	Section() any
}

// Input is what a provider plans from.
type Input struct {
	Spec    *spec.Spec
	Context source.FS
	// Reason says why this provider was chosen: a description line or
	// detection.
	Reason string
}
